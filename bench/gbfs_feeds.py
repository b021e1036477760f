"""GBFS open data at national scale: generating the live files, and serving them over HTTP.

    scripts/bench gbfs_feeds.py [--db wt17_bench] [--vehicles 23000] [--bookings 500000]

Reuses the booking benchmark's community (``--vehicles`` shared vehicles in stations of ten, with
bookings every 20 hours per vehicle, half behind and half ahead), publishes it, then prints:

- the time to generate ``vehicle_status``, ``station_status`` (GBFS 3.0) and
  ``vehicle_availability`` (3.1-RC3) from the booking engine (median, p95, size);
- through an Odoo server with 2 workers, the answer time of ``station_status.json`` and
  ``vehicle_status.json`` served from the database cache, of a conditional request answered
  304, and, in the same run, of the same files generated on every request (ttl 0).
"""

import argparse
import os
import statistics
import time

import requests
from benchlib import ensure_database, open_registry, start_server, timings
from booking_availability import generate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_ID = "bench-national"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="wt17_bench")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--vehicles", type=int, default=23000)
    parser.add_argument("--bookings", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--reset", action="store_true")
    return parser.parse_args()


def open_env(args):
    import odoo

    registry = open_registry(args)
    cr = registry.cursor()
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})


def publish(env, community):
    """Positions for the stations (the builder does not set any) and the open data settings."""
    env.cr.execute(
        """UPDATE carshare_station SET latitude = 43 + (id %% 500) * 0.01,
                  longitude = -1 + (id / 500) * 0.01
            WHERE id = ANY(%s) AND COALESCE(latitude, 0) = 0""",
        [community.station_ids.ids],
    )
    env.invalidate_all()
    community.write(
        {
            "gbfs_enabled": True,
            "gbfs_system_id": SYSTEM_ID,
            "gbfs_contact_email": "opendata@example.org",
            "gbfs_ttl": 600,
        }
    )
    env.cr.commit()


def bench_generation(env, community, samples):
    builder = env["carshare.gbfs.feed"]
    results = {}
    for version, feed in (
        ("3.0", "vehicle_status"),
        ("3.0", "station_status"),
        ("3.1-RC3", "vehicle_availability"),
    ):
        seconds, cpu, size = [], [], 0
        for _ in range(samples):
            env.invalidate_all()
            t0, c0 = time.perf_counter(), time.process_time()
            body = builder._generate(community, version, feed)[0]
            seconds.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            size = len(body)
        results[feed] = (seconds, cpu, size)
    return results


def get_many(session, url, count, headers=None):
    seconds, statuses = [], set()
    for _ in range(count):
        t0 = time.perf_counter()
        response = session.get(url, headers=headers or {}, timeout=120)
        seconds.append(time.perf_counter() - t0)
        statuses.add(response.status_code)
    return seconds, statuses


def bench_http(env, community, args):
    server, url = start_server(args, workers=2)
    session = requests.Session()
    lines = []
    try:
        # Odoo's own floor: a route that does nothing (auth none, no database query)
        health, _statuses = get_many(session, f"{url}/web/health", args.requests)
        lines.append(timings("/web/health (Odoo's floor, for reference)", health))
        for feed in ("station_status", "vehicle_status"):
            feed_url = f"{url}/gbfs/{SYSTEM_ID}/{feed}.json"
            first = session.get(feed_url, timeout=120)  # fills the cache
            etag = first.headers["ETag"]
            cached, statuses = get_many(session, feed_url, args.requests)
            lines.append(timings(f"{feed}, cached (200, {len(first.content) // 1024} kB)", cached))
            conditional, statuses_304 = get_many(
                session, feed_url, args.requests, {"If-None-Match": etag}
            )
            lines.append(timings(f"{feed}, If-None-Match (304)", conditional))
            assert statuses == {200} and statuses_304 == {304}, (statuses, statuses_304)
            results = {"cached": cached, "conditional": conditional}
            # ttl 0: every request finds its copy stale and generates the file again
            env.cr.execute(
                "UPDATE carshare_community SET gbfs_ttl = 0 WHERE id = %s", [community.id]
            )
            env.cr.execute("UPDATE carshare_gbfs_document SET ttl = 0")
            env.cr.commit()
            session.get(feed_url, timeout=120)
            generated, _statuses = get_many(session, feed_url, max(5, args.requests // 30))
            env.cr.execute(
                "UPDATE carshare_community SET gbfs_ttl = 600 WHERE id = %s", [community.id]
            )
            env.cr.commit()
            lines.append(timings(f"{feed}, generated on every request", generated))
            ratio = statistics.median(generated) / statistics.median(results["cached"])
            lines.append(f"  ratio generated / cached (median): {ratio:.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return lines


def main():
    args = parse_args()
    ensure_database(args, "carshare_gbfs", "carshare_gbfs_document")
    env = open_env(args)
    try:
        print(f"data set: {args.vehicles} vehicles, {args.bookings} bookings", flush=True)
        community = generate(env, args)
        publish(env, community)
        env.cr.execute("SELECT count(*) FILTER (WHERE state = 'confirmed') FROM carshare_booking")
        print(f"confirmed bookings ahead: {env.cr.fetchone()[0]}")
        print(f"load average before: {os.getloadavg()[0]:.2f}\n", flush=True)
        for feed, (seconds, cpu, size) in bench_generation(env, community, args.samples).items():
            print(timings(f"generate {feed} ({size // 1024} kB)", seconds))
            print(timings("  of which CPU time of the Odoo process", cpu))
        env.cr.rollback()
        print()
        for line in bench_http(env, community, args):
            print(line)
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    finally:
        env.cr.close()


if __name__ == "__main__":
    main()
