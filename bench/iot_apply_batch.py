"""MQTT bridge: one batch of device events applied in the database, at once (the bridge's way)
and one message a savepoint (its fallback, the way batches were applied before), in the same run.

    scripts/bench iot_apply_batch.py [--events 200] [--runs 3] [--devices 20] [--db cs_iot_bench]
                                     [--profile] [--reset]

On the database of ``iot_bridge.py`` (made if missing), ``--events`` signed key box events (half
``code.typed``, half ``door.opened``, as that benchmark sends) parsed as the bridge parses them,
then applied by ``apply_batch`` in one transaction, rolled back after: wall time, this process's
CPU and queries a message, alternately each way. ``--profile``: cProfile of the last run at once.
"""

import argparse
import cProfile
import os
import pstats
import time
from unittest.mock import patch

from benchlib import ensure_database, open_registry
from iot_bridge import key_boxes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_iot_bench")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--reset", action="store_true")
    return parser.parse_args()


def batch(secrets, count):
    from odoo.addons.carshare_iot.iotlib import protocol

    boxes = sorted(secrets.items())
    received = []
    for index in range(count):
        identifier, secret = boxes[index % len(boxes)]
        if index % 2:
            kind, data = "code.typed", {"code": f"{index:06d}", "accepted": False}
        else:
            kind, data = "door.opened", {"door": "keybox"}
        message = protocol.sign(protocol.device_message(identifier, kind, data), secret)
        topic = protocol.topic(identifier, "event")
        received.append((topic, protocol.parse_device_message(topic, protocol.encode(message))))
    return received


def run(registry, received, at_once, profiler=None):
    """(ms wall, ms CPU, queries) a message of one batch, rolled back."""
    import odoo

    from odoo.addons.carshare_iot.cli.bridge import apply_batch

    Message = registry["carshare.iot.message"]
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        queries = cr.sql_log_count
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        if at_once:
            apply_batch(env, received)
        else:
            with patch.object(Message, "_receive_batch", side_effect=RuntimeError("fallback")):
                apply_batch(env, received)
        env.flush_all()
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        queries = cr.sql_log_count - queries
        cr.rollback()
    count = len(received)
    return wall * 1000 / count, cpu * 1000 / count, queries / count


def main():
    import logging

    args = parse_args()
    ensure_database(args, "carshare_iot", "carshare_iot_device")
    registry = open_registry(args)
    logging.getLogger("odoo.addons.carshare_iot").setLevel(logging.WARNING)
    received = batch(key_boxes(registry, args.devices), args.events)
    print(f"one batch of {len(received)} key box events, {args.runs} runs each way:")
    results = {True: [], False: []}
    profiler = None
    for index in range(args.runs):
        for at_once in (False, True):
            if args.profile and at_once and index == args.runs - 1:
                profiler = cProfile.Profile()
            results[at_once].append(run(registry, received, at_once, profiler))
    for at_once, label in ((False, "a savepoint a message"), (True, "at once")):
        best = min(results[at_once])
        print(
            f"  {label:<22} {best[0]:6.2f} ms wall  {best[1]:5.2f} ms CPU  "
            f"{best[2]:5.2f} queries a message (best run)"
        )
    print(f"  ratio wall: {min(results[False])[0] / min(results[True])[0]:.2f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
