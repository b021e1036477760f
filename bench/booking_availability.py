"""Booking engine at national scale: availability, confirmation, and a race through a real server.

    scripts/bench booking_availability.py [--vehicles 23000] [--bookings 5000000] [--reset]

Builds (once) a database with one community of ``--vehicles`` shared vehicles in stations of ten and
``--bookings`` bookings, half of them behind us (done) and half ahead (confirmed), then prints:

- the availability question for one station and for the whole community (median, p95), answered by
  ``carshare.availability._available_vehicles`` (one query on the range index) and the simple
  way (an ORM search for overlapping bookings), with their ratio;
- the time to create and confirm one booking.

The races for one slot and the confirmation over HTTP are ``booking_races.py``'s, on the same
database.
"""

import argparse
import os
import random
import statistics
import time
from datetime import datetime, timedelta

from benchlib import ensure_database, open_registry, timings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATION_SIZE = 10
DRIVERS = 200
RACERS = 100


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_bench_booking")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--vehicles", type=int, default=23000)
    parser.add_argument("--bookings", type=int, default=5_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--skip-availability", action="store_true", help="only the confirmation")
    return parser.parse_args()


def ratio(simple, engine):
    value = statistics.median(simple) / statistics.median(engine)
    return f"  ratio simple / engine (median): {value:.2f}"


def open_env(args):
    import odoo

    registry = open_registry(args)
    cr = registry.cursor()
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True}), registry


def generate(env, args):
    """One community, stations of ten vehicles, drivers, and the bookings, mostly in SQL."""
    community = env["carshare.community"].search([("name", "=", "Bench national")])
    if community:
        return community
    cr = env.cr
    t0 = time.perf_counter()
    calendar = env.ref("resource.resource_calendar_std")
    community = env["carshare.community"].create(
        {"name": "Bench national", "kind": "company", "priority_calendar_id": calendar.id}
    )
    stations = env["carshare.station"].create(
        [
            {
                "name": f"Station {i:05d}",
                "code": f"S{i:05d}",
                "tz": "UTC",
                "closed_from": 0.0,
                "closed_to": 0.0,
            }
            for i in range(args.vehicles // STATION_SIZE)
        ]
    )
    community.station_ids = stations
    brand = env["fleet.vehicle.model.brand"].create({"name": "Bench"})
    model = env["fleet.vehicle.model"].create({"name": "EV", "brand_id": brand.id})
    # Vehicles through the ORM in batches: the fleet model fills many defaults.
    for offset in range(0, args.vehicles, 2000):
        env["fleet.vehicle"].create(
            [
                {
                    "model_id": model.id,
                    "license_plate": f"BN-{i:06d}",
                    "carshare_shared": True,
                    "carshare_station_id": stations[i // STATION_SIZE].id,
                    "carshare_category": "car",
                    "carshare_battery_level": 90,
                    "carshare_range_km": 300,
                }
                for i in range(offset, min(offset + 2000, args.vehicles))
            ]
        )
        env.invalidate_all()
    cr.execute(
        """INSERT INTO carshare_community_vehicle_rel
                  (community_id, vehicle_id)
           SELECT %s, id FROM fleet_vehicle WHERE license_plate LIKE 'BN-%%'""",
        [community.id],
    )
    drivers = env["res.partner"].create(
        [
            {
                # the first DRIVERS drive the generated bookings, the others race for new ones
                "name": f"Driver {i}" if i < DRIVERS else f"Racer {i}",
                "carshare_birthdate": "1980-01-01",
                "driving_licence_number": f"L{i:08d}",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": "2000-01-01",
                "driving_licence_expiry_date": "2099-01-01",
            }
            for i in range(DRIVERS + RACERS)
        ]
    )
    env["carshare.membership"].create(
        [
            {
                "community_id": community.id,
                "partner_id": d.id,
                "audience": "agent",
                "state": "active",
            }
            for d in drivers
        ]
    )
    cr.commit()
    print(f"  stations, vehicles, drivers: {time.perf_counter() - t0:.1f} s", flush=True)

    # Bookings: per vehicle, one every 20 h (2 to 6 h long), from 100 days ago onwards.
    per_vehicle = max(1, args.bookings // args.vehicles)
    now = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(hours=20 * (per_vehicle // 2))
    t0 = time.perf_counter()
    cr.execute("SELECT id, carshare_station_id FROM fleet_vehicle WHERE license_plate LIKE 'BN-%%'")
    vehicles = cr.fetchall()
    chunk = 1000
    for offset in range(0, len(vehicles), chunk):
        ids = [v for v, _s in vehicles[offset : offset + chunk]]
        cr.execute(
            """
            INSERT INTO carshare_booking
                (name, vehicle_id, partner_id, community_id, company_id, station_id, user_id,
                 date_start, date_end, duration_hours, buffer_minutes, usage, state,
                 create_uid, write_uid, create_date, write_date)
            SELECT 'BENCH/' || v.id || '/' || k, v.id,
                   (%(drivers)s::int[])[1 + (v.id + k) %% %(ndrivers)s],
                   %(community)s, %(company)s, v.carshare_station_id, 1,
                   s.start, s.start + (2 + (v.id + k) %% 5) * interval '1 hour',
                   2 + (v.id + k) %% 5, 30, 'perso',
                   CASE WHEN s.start < %(now)s THEN 'done' ELSE 'confirmed' END,
                   1, 1, now(), now()
              FROM fleet_vehicle v
              CROSS JOIN generate_series(0, %(per_vehicle)s - 1) AS k
              CROSS JOIN LATERAL (SELECT %(first)s + k * interval '20 hours'
                                         + (v.id %% 7) * interval '1 hour' AS start) s
             WHERE v.id = ANY(%(ids)s)
            """,
            {
                "drivers": drivers[:DRIVERS].ids,
                "ndrivers": DRIVERS,
                "community": community.id,
                "company": community.company_id.id,
                "now": now,
                "per_vehicle": per_vehicle,
                "first": first,
                "ids": ids,
            },
        )
        cr.commit()
        done = min(offset + chunk, len(vehicles))
        print(f"  bookings for {done}/{len(vehicles)} vehicles", end="\r", flush=True)
    cr.execute("ANALYZE carshare_booking")
    cr.commit()
    elapsed = time.perf_counter() - t0
    print(f"\n  {per_vehicle * len(vehicles)} bookings: {elapsed:.1f} s", flush=True)
    return community


def racers(community):
    return community.membership_ids.partner_id.filtered(lambda p: p.name.startswith("Racer"))


def simple_available(env, start, end, station=None, community=None):
    """The simple way: an ORM search for overlapping bookings, then set arithmetic."""
    availability = env["carshare.availability"]
    vehicles = env["fleet.vehicle"].search(availability._vehicle_domain(station, community, None))
    booking = env["carshare.booking"]
    buffer = timedelta(minutes=community.buffer_minutes if community else 0)
    overlapping = booking.search(
        [
            ("vehicle_id", "in", vehicles.ids),
            ("state", "in", ("confirmed", "ongoing")),
            ("date_start", "<", end + buffer),
            ("date_end", ">", start - buffer),
        ]
    )
    return vehicles - overlapping.vehicle_id


def measure(func, samples):
    seconds = []
    for args in samples:
        t0 = time.perf_counter()
        func(*args)
        seconds.append(time.perf_counter() - t0)
    return seconds


def bench_availability(env, community, args):
    rng = random.Random(42)
    stations = community.station_ids
    now = datetime.utcnow().replace(minute=0, second=0, microsecond=0)

    def slot():
        start = now + timedelta(hours=rng.randrange(2, 24 * 60))
        return start, start + timedelta(hours=rng.choice((1, 2, 4, 8)))

    availability = env["carshare.availability"]
    station_samples = [(*slot(), rng.choice(stations)) for _ in range(args.samples)]
    # Check both answers agree before timing them.
    for start, end, station in station_samples[:20]:
        rows = availability._available_vehicles(start, end, station, community)
        fast = {row["vehicle_id"] for row in rows if row["free"]}
        assert fast == set(simple_available(env, start, end, station, community).ids)
    results = {}
    env.invalidate_all()
    results["station"] = measure(
        lambda s, e, st: availability._available_vehicles(s, e, st, community),
        station_samples,
    )
    env.invalidate_all()
    results["station_simple"] = measure(
        lambda s, e, st: simple_available(env, s, e, st, community), station_samples
    )
    community_samples = [(*slot(), community) for _ in range(max(5, args.samples // 20))]
    env.invalidate_all()
    results["community"] = measure(
        lambda s, e, c: availability._available_vehicles(s, e, None, c), community_samples
    )
    env.invalidate_all()
    results["community_simple"] = measure(
        lambda s, e, c: simple_available(env, s, e, None, c), community_samples
    )
    return results


def bench_confirm(env, community, samples=50):
    """Create and confirm one booking on a free vehicle and slot, rolled back each time."""
    rng = random.Random(7)
    drivers = racers(community)
    now = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    seconds = []
    while len(seconds) < samples:
        start = now + timedelta(days=rng.randrange(2, 80), hours=rng.randrange(0, 24))
        end = start + timedelta(hours=2)
        free = simple_available(env, start, end, rng.choice(community.station_ids), community)
        if not free:
            continue
        vals = {
            "vehicle_id": free[0].id,
            "partner_id": drivers[len(seconds) % len(drivers)].id,
            "community_id": community.id,
            "date_start": start,
            "date_end": end,
            "usage": "perso",
        }
        with env.cr.savepoint(flush=False) as savepoint:
            t0 = time.perf_counter()
            env["carshare.booking"].create(vals).action_confirm()
            env.flush_all()
            seconds.append(time.perf_counter() - t0)
            savepoint.rollback()
        env.invalidate_all()
    return seconds


def report_availability(env, community, args):
    res = bench_availability(env, community, args)
    print(timings("availability, one station (10 vehicles)", res["station"]))
    print(timings("  simple ORM search, same questions", res["station_simple"]))
    print(ratio(res["station_simple"], res["station"]))
    size = len(community.vehicle_ids)
    print(timings(f"availability, whole community ({size} veh.)", res["community"]))
    print(timings("  simple ORM search, same questions", res["community_simple"]))
    print(ratio(res["community_simple"], res["community"]))


def main():
    args = parse_args()
    ensure_database(args, "carshare_booking", "carshare_booking")
    env, _registry = open_env(args)
    try:
        print(f"data set: {args.vehicles} vehicles, {args.bookings} bookings", flush=True)
        community = generate(env, args)
        env.cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'confirmed') " "FROM carshare_booking"
        )
        total, active = env.cr.fetchone()
        print(f"bookings in the table: {total} ({active} confirmed ahead)\n")

        if not args.skip_availability:
            report_availability(env, community, args)
        print(timings("create + confirm one booking", bench_confirm(env, community)))

    finally:
        env.cr.close()


if __name__ == "__main__":
    main()
