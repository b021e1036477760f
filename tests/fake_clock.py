"""Run an Odoo command line (the server, the bridge) on a clock the test moves.

    python tests/fake_clock.py CLOCK_FILE odoo ARGS...

runs ``odoo ARGS...`` in this process on freezegun's ticking clock. CLOCK_FILE holds a UTC time
(ISO 8601) and the real time (seconds since the epoch) the test wrote it at: the process's clock
tells that time plus the real time passed since; when the test writes another, the clock jumps
to it, and this process tells it has by writing the new time into ``CLOCK_FILE.<pid>``.

Only Python's clock moves: PostgreSQL's now() (``create_date``, ``write_date``) and Mosquitto
keep the real time, and so does the monotonic clock of timeouts and keep-alives. The product
knows nothing of it: no hook is reachable over RPC.

libfaketime (Debian 12's 0.9.10) cannot run these processes: with its monotonic clock faked,
Python's timed waits (a queue's ``get(timeout=...)``) never end; without, ``time.sleep`` fails
with EINVAL.
"""

import logging  # noqa: F401 - its Formatter keeps the real time.localtime
import os
import runpy
import shutil
import sys
import threading
import time
from datetime import datetime

import freezegun
from freezegun import api as freezegun_api

POLL_SECONDS = 0.05
# Intervals and timeouts (a queue's get, paho's keep-alive) keep the real monotonic clock:
# freezegun's would jump with the day, and its timed waits never end.
REAL_CLOCKS = {
    "monotonic": freezegun_api.real_monotonic,
    "monotonic_ns": freezegun_api.real_monotonic_ns,
    "perf_counter": freezegun_api.real_perf_counter,
    "perf_counter_ns": freezegun_api.real_perf_counter_ns,
}


def read_clock(path):
    """(the day's time, the real time it was written at), as the test wrote them."""
    with open(path) as clock:
        moment, written_at = clock.read().split()
    return datetime.fromisoformat(moment), float(written_at)


def set_clock(clock, moment, written_at):
    """Ticking from ``moment`` since ``written_at``: every process tells the same time.

    The real clock through freezegun's module: freezegun replaces the real ``datetime`` in the
    namespaces of the modules loaded when it starts."""
    clock.time_to_freeze = moment
    clock.start = freezegun_api.real_datetime.fromtimestamp(written_at)


def follow(path, clock, told):
    """Move ``clock`` to each time written in ``path``, and say so in ``path.<pid>``."""
    while True:
        written = read_clock(path)
        if written != told:
            set_clock(clock, *written)
            with open(f"{path}.{os.getpid()}.tmp", "w") as answer:
                answer.write(written[0].isoformat())
            os.replace(f"{path}.{os.getpid()}.tmp", f"{path}.{os.getpid()}")
            told = written
        threading.Event().wait(POLL_SECONDS)


def main():
    path, command = sys.argv[1], sys.argv[2:]
    written = read_clock(path)
    clock = freezegun.freeze_time(written[0], tick=True).start()
    set_clock(clock, *written)
    fakes = {id(getattr(time, name)): real for name, real in REAL_CLOCKS.items()}
    for module in list(sys.modules.values()):
        for name, value in list(vars(module).items()):
            if id(value) in fakes:
                setattr(module, name, fakes[id(value)])
    threading.Thread(
        target=follow, args=(path, clock, None), daemon=True, name="fake-clock"
    ).start()
    sys.argv = command
    runpy.run_path(shutil.which(command[0]), run_name="__main__")


if __name__ == "__main__":
    main()
