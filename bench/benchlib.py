"""What the benchmarks under bench/ share: statistics, ports, the database they build."""

import os
import socket
import statistics
import subprocess
import time

import requests


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timings(label, seconds, width=44):
    """One line: median and p95 of durations given in seconds, printed in milliseconds."""
    ms = [s * 1000 for s in seconds]
    median, p95 = statistics.median(ms), percentile(ms, 0.95)
    return f"{label:<{width}} median {median:9.2f} ms   p95 {p95:9.2f} ms"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(args, addon, probe_table):
    """Create ``args.db`` with ``addon`` (no demo) unless it holds ``probe_table`` already;
    true when it did."""
    exists = subprocess.run(
        ["psql", "-d", args.db, "-tAc", f"SELECT 1 FROM {probe_table} LIMIT 1"],
        capture_output=True,
        check=False,
    )
    if args.reset or exists.returncode != 0:
        subprocess.run(["dropdb", "--if-exists", args.db], check=True)
        print(f"installing {addon} into {args.db} ...", flush=True)
        subprocess.run(
            [
                "odoo",
                "-c",
                args.conf,
                "-d",
                args.db,
                "-i",
                addon,
                "--without-demo=all",
                "--stop-after-init",
                "--log-level=warn",
                "--max-cron-threads=0",
            ],
            check=True,
        )
        return True
    return False


def open_registry(args):
    import odoo

    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    return odoo.modules.registry.Registry(args.db)


def start_server(args, workers, port=None, environ=None):
    """An Odoo server on ``args.db`` with ``workers`` workers on ``port`` (its long-polling
    port next to it) or on free ports, and ``environ`` added to its environment, once it
    answers: ``(process, base url)``; the caller terminates it."""
    gevent_port = port + 1 if port else free_port()
    port = port or free_port()
    server = subprocess.Popen(
        [
            "odoo",
            "-c",
            args.conf,
            "-d",
            args.db,
            "--http-port",
            str(port),
            "--gevent-port",
            str(gevent_port),
            "--workers",
            str(workers),
            "--max-cron-threads",
            "0",
            "--log-level=warn",
            "--db-filter",
            f"^{args.db}$",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(environ or {})},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            requests.get(f"{url}/web/health", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.5)
    return server, url
