"""MQTT bridge: command-to-acknowledgement latency, and device events processed per second by one
bridge taking one message a transaction, by one bridge taking batches, and by two.

    scripts/bench iot_bridge.py [--commands 200] [--events 3000] [--devices 20] [--batch 200]
                                [--db cs_iot_bench] [--reset]

Builds (once) a database with carshare_iot, a station and ``--devices`` key boxes, starts a private
Mosquitto on a loopback port (18830-18839), the key boxes (iotlib.simulator) and the real bridge
(`odoo carshare-mqtt`), then prints:

- command to acknowledgement, one command at a time (an unlock written to the outbox and
  committed, as a booking's confirmation does): until the device's ack crosses the broker, and
  until the bridge has recorded it in the database (median, p95);
- events per second: ``--events`` signed events (code typed, door opened: no telemetry, which
  batches would coalesce) published by the key boxes at once, until all are processed in the
  database: by one bridge with ``carshare_mqtt_batch_size = 1`` (one transaction and one commit a
  message, the way before batches), by one bridge with batches of ``--batch``, then by two
  batching bridges sharing the subscription (MQTT 5 shared subscription), and the ratios.

The broker runs with the limits the Broker Credentials wizard generates (``iotlib.mosquitto``).
"""

import argparse
import configparser
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from benchlib import ensure_database, free_port, open_registry, timings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "addons", "carshare_iot"))

from iotlib import mosquitto, protocol  # noqa: E402
from iotlib.simulator import Device  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_iot_bench")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--reset", action="store_true")
    return parser.parse_args()


def key_boxes(registry, count):
    """{identifier: secret} of the bench's key boxes, created once."""
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        station = env["carshare.station"].search([("code", "=", "BENCH-IOT")])
        if not station:
            station = env["carshare.station"].create(
                {"name": "Bench IoT", "code": "BENCH-IOT", "closed_from": 0, "closed_to": 0}
            )
        Device = env["carshare.iot.device"]
        for index in range(len(station.iot_device_ids), count):
            Device.create(
                {
                    "name": f"Bench box {index}",
                    "identifier": f"bench-box-{index:03d}",
                    "kind": "keybox",
                    "station_id": station.id,
                }
            )
        devices = Device.search([("station_id", "=", station.id)], limit=count, order="id")
        return {device.identifier: device.secret for device in devices}


class Broker:
    def __init__(self, batch):
        self.folder = tempfile.mkdtemp(prefix="carshare-iot-bench-")
        os.chmod(self.folder, 0o777)
        self.port = free_port()
        config = os.path.join(self.folder, "mosquitto.conf")
        with open(config, "w") as out:
            out.write(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                + mosquitto.limits_file(batch)
            )
        self.process = subprocess.Popen(
            ["mosquitto", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(0.5)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class Bridge:
    def __init__(self, args, broker, folder, name, batch):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(args.conf)
        parser["options"]["carshare_mqtt_host"] = "127.0.0.1"
        parser["options"]["carshare_mqtt_port"] = str(broker.port)
        # Two bridges sharing the work: shared subscriptions, each bridge active.
        parser["options"]["carshare_mqtt_shared_subscriptions"] = "True"
        parser["options"]["carshare_mqtt_batch_size"] = str(batch)
        conf = os.path.join(folder, f"{name}.conf")
        with open(conf, "w") as out:
            parser.write(out)
        self.log_path = os.path.join(folder, f"{name}.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                ["odoo", "carshare-mqtt", "-c", conf, "-d", args.db, "--client-id", name],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ODOO_RC": conf},
            )

    def wait_ready(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log()[-3000:])
            log = self.log()
            if "bridge ready" in log and "connected to MQTT broker" in log:
                return
            time.sleep(0.2)
        raise RuntimeError("bridge not ready")

    def log(self):
        with open(self.log_path) as log:
            return log.read()

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def queue_unlock(registry, device_id):
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        device = env["carshare.iot.device"].browse(device_id)
        command = device._queue_command("unlock", {}, datetime.utcnow() + timedelta(minutes=5))
        return command.id, command.message_id


def acked(registry, command_id):
    with registry.cursor() as cr:
        cr.execute("SELECT state FROM carshare_iot_command WHERE id = %s", [command_id])
        return cr.fetchone()[0] == "acked"


def ack_one(registry, device_id, timeout=10, seen=None):
    """(until the ack crosses the broker, until recorded) of one command, or None."""
    start = time.perf_counter()
    command_id, message_id = queue_unlock(registry, device_id)
    through_broker = None
    while time.perf_counter() - start < timeout:
        if through_broker is None and seen is not None and message_id in seen:
            through_broker = seen[message_id] - start
        if acked(registry, command_id):
            recorded = time.perf_counter() - start
            return through_broker if through_broker is not None else recorded, recorded
        time.sleep(0.002)
    return None


def ack_watcher(port):
    """Records when each device acknowledgement crosses the broker: {command id: time}."""
    seen = {}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)

    def on_message(_client, _userdata, message):
        data = protocol.decode(message.payload).get("data", {})
        seen[data.get("command_id")] = time.perf_counter()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(f"{protocol.TOPIC_ROOT}/+/ack", qos=0)
    client.loop_start()
    return client, seen


def processed_count(registry, ids):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM carshare_iot_message WHERE dedup_key = ANY(%s)", [list(ids)]
        )
        return cr.fetchone()[0]


def event_burst(registry, boxes, count):
    """(events, seconds until all are processed, seconds until all are published) of
    ``count`` events published at once."""
    ids = set()
    per_box = count // len(boxes)
    start = time.perf_counter()
    threads = []

    def publish(box):
        for index in range(per_box):
            if index % 2:
                message = box.emit("code.typed", {"code": f"{index:06d}", "accepted": False})
            else:
                message = box.emit("door.opened", {"door": "keybox"})
            ids.add(message["id"])

    for box in boxes:
        thread = threading.Thread(target=publish, args=(box,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    published = time.perf_counter() - start
    total = per_box * len(boxes)
    while processed_count(registry, ids) < total:
        time.sleep(0.05)
    return total, time.perf_counter() - start, published


def measured_burst(registry, boxes, count, bridges):
    """(events, seconds, bridge CPU milliseconds per event, seconds publishing) of one burst."""
    cpu = sum(bridge.cpu_seconds() for bridge in bridges)
    total, seconds, published = event_burst(registry, boxes, count)
    cpu = sum(bridge.cpu_seconds() for bridge in bridges) - cpu
    return total, seconds, cpu * 1000 / total, published


def main():
    args = parse_args()
    logging.getLogger("iotlib.simulator").setLevel(logging.WARNING)
    ensure_database(args, "carshare_iot", "carshare_iot_device")
    registry = open_registry(args)
    secrets = key_boxes(registry, args.devices)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT identifier, id FROM carshare_iot_device WHERE identifier = ANY(%s)",
            [list(secrets)],
        )
        device_ids = dict(cr.fetchall())
    folder = tempfile.mkdtemp(prefix="carshare-iot-bench-bridges-")
    try:
        print(f"events, {args.events} at once from {len(secrets)} key boxes:")
        # A broker each: a bridge stopped keeps its persistent session, and Mosquitto keeps
        # handing it its share of a shared subscription.
        with Phase(args, registry, secrets, folder) as phase:
            phase.start_bridge(1)
            one_by_one = phase.burst("one bridge, one by one")
        with Phase(args, registry, secrets, folder) as phase:
            phase.start_bridge(args.batch)
            batched = phase.burst(f"one bridge, batches of {args.batch}")
            print(f"  ratio batched / one by one: {one_by_one / batched:.2f}")
            watcher, seen = ack_watcher(phase.broker.port)
            device_id = device_ids[phase.boxes[0].identifier]
            samples = [ack_one(registry, device_id, seen=seen) for _ in range(args.commands)]
            samples = [sample for sample in samples if sample]
            print(f"command to acknowledgement, {len(samples)} commands, one batching bridge:")
            print(timings("  device's ack through the broker", [s[0] for s in samples]))
            print(timings("  ack recorded in the database", [s[1] for s in samples]))
            watcher.loop_stop()
            phase.start_bridge(args.batch)
            two = phase.burst("two bridges, batches")
            print(f"  ratio two / one (batched): {batched / two:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Phase:
    """A broker of its own, the key boxes on it and bridges, stopped at the end."""

    def __init__(self, args, registry, secrets, folder):
        self.args = args
        self.registry = registry
        self.secrets = secrets
        self.folder = folder
        self.bridges = []
        self.boxes = []

    def __enter__(self):
        self.broker = Broker(self.args.batch)
        self.boxes = [
            Device(identifier, secret, "keybox", port=self.broker.port).start()
            for identifier, secret in self.secrets.items()
        ]
        return self

    def start_bridge(self, batch):
        name = f"bench-bridge-{uuid.uuid4().hex[:6]}"
        bridge = Bridge(self.args, self.broker, self.folder, name, batch)
        self.bridges.append(bridge)
        bridge.wait_ready()

    def burst(self, label):
        total, seconds, cpu, published = measured_burst(
            self.registry, self.boxes, self.args.events, self.bridges
        )
        rate = total / seconds
        print(
            f"  {label:<28} {rate:6.0f} events/s  ({seconds:.1f} s, CPU {cpu:.1f} ms/event, "
            f"all published after {published:.1f} s)"
        )
        return seconds

    def __exit__(self, *_exc):
        for box in self.boxes:
            box.stop()
        for bridge in self.bridges:
            bridge.stop()
        self.broker.stop()


if __name__ == "__main__":
    main()
