"""How long the demo's history takes: `carshare-demo-history` on a few days of a copy of a demo
database, its CPU and wall time per booking, extrapolated to the whole history.

    scripts/bench demo_history.py [--db cs_demo_bench] [--from 2026-09-28] [--days 7] [--scale 1]

The database is made once with the carshare addons, their demo data, payment_demo and
carshare_demo; each run plays on a copy of it, dropped afterwards.
"""

import argparse
import ast
import os
import re
import resource
import subprocess
import time
from datetime import date, timedelta

ADDONS = (
    "carshare_fleet,carshare_booking,carshare_billing,carshare_iot,carshare_portal,"
    "carshare_neighbours,carshare_gbfs,carshare_gbfs_billing,payment_demo,carshare_demo"
)
# the whole history of a demo made on 1 December 2026: 1 July to 30 November
HISTORY_DAYS = 153


def odoo(*argv, env=None):
    return subprocess.run(["odoo", *argv], check=True, capture_output=True, text=True, env=env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", default="cs_demo_bench")
    parser.add_argument(
        "--from", dest="date_from", type=date.fromisoformat, default=date(2026, 9, 28)
    )
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    exists = subprocess.run(["psql", "-d", args.db, "-tAc", "SELECT 1"], capture_output=True)
    if exists.returncode:
        print(f"installing the demo into {args.db} ...", flush=True)
        odoo(
            "-c",
            args.conf,
            "-d",
            args.db,
            "-i",
            ADDONS,
            "--stop-after-init",
            "--max-cron-threads=0",
        )
    copy = f"{args.db}_run"
    subprocess.run(["dropdb", "--if-exists", copy], check=True)
    subprocess.run(["createdb", "-T", args.db, copy], check=True)
    try:
        until = args.date_from + timedelta(days=args.days)
        started = time.monotonic()
        result = odoo(
            "carshare-demo-history",
            "-c",
            args.conf,
            "-d",
            copy,
            "--from",
            str(args.date_from),
            "--until",
            str(until),
            "--scale",
            str(args.scale),
            "--log-handler=odoo.addons.carshare_demo.cli.demo_history:INFO",
            env={**os.environ, "ODOO_RC": args.conf},
        )
        wall = time.monotonic() - started
    finally:
        subprocess.run(["dropdb", "--if-exists", copy], check=True)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = ast.literal_eval(re.findall(r"history of .*?: (\{.*\})", result.stderr)[-1])
    bookings = stats["bookings"]
    per_booking = stats["cpu"] / bookings
    print(f"{args.days} days from {args.date_from} at scale {args.scale}: {stats}")
    print(f"command: {wall:.0f} s wall, {cpu.ru_utime + cpu.ru_stime:.0f} s CPU (with start-up)")
    print(
        f"history loop: {stats['wall'] / bookings * 1000:.0f} ms wall, "
        f"{per_booking * 1000:.0f} ms CPU per booking"
    )
    whole = bookings / args.days * HISTORY_DAYS
    print(
        f"whole history ({HISTORY_DAYS} days, about {whole:.0f} bookings): "
        f"{whole * per_booking / 60:.1f} min of Odoo CPU, PostgreSQL's not counted"
    )


if __name__ == "__main__":
    main()
