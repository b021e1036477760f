"""Races for one slot and confirmation over HTTP, on the booking engine's national data set.

    scripts/bench booking_races.py [--vehicles 23000] [--bookings 5000000] [--rounds 10]

On the database of ``booking_availability.py`` (built here if missing, same options), prints:

- ``--rounds`` races of 16 direct database connections (16 processes forked from this one, each
  its own connection and transaction, as crons, the bridge and scripts run) confirming 16
  overlapping drafts of one vehicle at once, with the per-vehicle lock and, in the same run,
  without it (patched out before the fork): winners, clean refusals, every other error by kind;
- 100 concurrent JSON-RPC ``action_confirm`` calls (/jsonrpc, as scripts and integrations call)
  for one slot through an Odoo server with 4 workers: how many won (exactly one must)
  and how the others were answered;
- the confirmation of one draft over HTTP, one call at a time on a server with 2 workers, in a
  web session and over /jsonrpc with the password, beside the same confirmation in this process
  (tracking and pre-commit work included): the driver's mail composed by a job, and in the same
  run the old way, composed in the request.
"""

import argparse
import concurrent.futures
import multiprocessing
import os
import random
import sys
import time
from datetime import datetime, timedelta
from unittest.mock import patch

import requests
from benchlib import ensure_database, percentile, start_server, timings
from booking_availability import generate, open_env, racers, simple_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECT = 16
RACERS = 100
PASSWORD = "bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_bench_booking")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--vehicles", type=int, default=23000)
    parser.add_argument("--bookings", type=int, default=5_000_000)
    parser.add_argument(
        "--rounds", type=int, default=10, help="races of direct connections (at most 25)"
    )
    parser.add_argument("--samples", type=int, default=100, help="confirmations over HTTP")
    parser.add_argument("--port", type=int, help="HTTP port of the servers (default: a free one)")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--skip-races", action="store_true", help="only the confirmation")
    return parser.parse_args()


def race_slot(env, community, days_ahead):
    """A vehicle of the community freed around ``days_ahead`` days from now: (vehicle, start)."""
    vehicle = env["fleet.vehicle"].search([("carshare_community_ids", "in", community.id)], limit=1)
    start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(
        days=days_ahead
    )
    env["carshare.booking"].search(
        [
            ("vehicle_id", "=", vehicle.id),
            ("state", "in", ("confirmed", "ongoing")),
            ("date_start", "<", start + timedelta(days=1)),
            ("date_end", ">", start - timedelta(days=1)),
        ]
    ).write({"state": "cancelled"})
    return vehicle, start


def make_drafts(env, community, vehicle, start, drivers, hours=3, step=0):
    """A draft of ``hours`` per driver, the n-th starting ``n * step`` minutes after ``start``."""
    return env["carshare.booking"].create(
        [
            {
                "vehicle_id": vehicle.id,
                "partner_id": driver.id,
                "community_id": community.id,
                "date_start": start + timedelta(minutes=index * step),
                "date_end": start + timedelta(hours=hours, minutes=index * step),
                "usage": "perso",
            }
            for index, driver in enumerate(drivers)
        ]
    )


def settle(env, drafts):
    """How many of ``drafts`` are confirmed in the database; then all cancelled, committed."""
    env.cr.commit()  # a snapshot that shows what the other connections committed
    env.cr.execute(
        "SELECT count(*) FROM carshare_booking WHERE id = ANY(%s) AND state = 'confirmed'",
        [drafts.ids],
    )
    confirmed = env.cr.fetchone()[0]
    drafts.invalidate_recordset()
    drafts.write({"state": "cancelled"})
    env.cr.commit()
    return confirmed


def direct_racer(registry, booking_id, barrier, ready, answers):
    """In a process of its own: confirm ``booking_id`` on a new connection once all racers
    are ready, and put what came out in ``answers``.

    Past the early overlap check, the racer waits until every racer has passed it, has ended or
    waits for a vehicle's lock (``ready`` counts the first two): on two cores the racers would
    otherwise rarely write at the same moment, as they do on a machine with a core for each.
    """
    import odoo

    # The connections inherited from the parent stay the parent's: a pool of this process's.
    odoo.sql_db._Pool = None
    registry._db = odoo.sql_db.db_connect(registry.db_name)
    booking_class = registry["carshare.booking"]
    check_overlap = booking_class._check_overlap

    passed = []

    def check_then_wait(booking):
        check_overlap(booking)
        passed.append(booking.id)
        with ready.get_lock():
            ready.value += 1
        deadline = time.monotonic() + 10
        with registry.cursor() as watch:
            while time.monotonic() < deadline:
                watch.execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted"
                )
                if ready.value + watch.fetchone()[0] >= DIRECT:
                    break
                time.sleep(0.005)

    booking_class._check_overlap = check_then_wait
    with registry.cursor() as cr:
        # Tracked as a request's confirmation is: the tracking values are written at commit.
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        booking = env["carshare.booking"].browse(booking_id)
        booking.state  # noqa: B018 the snapshot is taken before the start
        barrier.wait(timeout=60)
        try:
            booking.action_confirm()
            cr.commit()
            outcome = "won"
        except odoo.exceptions.ValidationError as error:
            cr.rollback()
            outcome = f"ValidationError: {error}"
        # The point of the race: whatever else comes out is counted by kind.
        except Exception as error:  # pylint: disable=broad-exception-caught
            cr.rollback()
            outcome = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        finally:
            if not passed:
                with ready.get_lock():
                    ready.value += 1
    answers.put(outcome)


def direct_round(env, registry, community, drivers, days_ahead):
    """One race of DIRECT connections, each in a process of its own as the Odoo workers, crons
    and bridges are: (outcomes, wall seconds, confirmed in the database)."""
    vehicle, start = race_slot(env, community, days_ahead)
    # Each overlaps all the others, starting 5 minutes apart (a slot and its neighbours).
    drafts = make_drafts(env, community, vehicle, start, drivers[:DIRECT], step=5)
    env.cr.commit()
    forked = multiprocessing.get_context("fork")
    barrier, ready, answers = forked.Barrier(DIRECT), forked.Value("i", 0), forked.Queue()
    racers_ = [
        forked.Process(target=direct_racer, args=(registry, booking_id, barrier, ready, answers))
        for booking_id in drafts.ids
    ]
    t0 = time.perf_counter()
    for racer in racers_:
        racer.start()
    outcomes = [answers.get(timeout=120) for _racer in racers_]
    wall = time.perf_counter() - t0
    for racer in racers_:
        racer.join(timeout=30)
    return outcomes, wall, settle(env, drafts)


def bench_direct(env, registry, community, rounds):
    """``rounds`` races with the lock, then as many without it: {mode: [(outcomes, wall,
    confirmed)]}."""
    import odoo

    booking_class = type(env["carshare.booking"])
    drivers = racers(community)
    results = {"with the per-vehicle lock": [], "without the lock": []}
    # A day of its own for each race, within the community's horizon (90 days).
    day = 30
    logger = odoo.tools.mute_logger("odoo.sql_db")
    with logger:
        for index in range(rounds):
            results["with the per-vehicle lock"].append(
                direct_round(env, registry, community, drivers, day + index)
            )
        with patch.object(booking_class, "_lock_vehicles", lambda self, vehicle_ids: None):
            for index in range(rounds):
                results["without the lock"].append(
                    direct_round(env, registry, community, drivers, day + rounds + index)
                )
    return results


def report_direct(results):
    clean = True
    for mode, rounds in results.items():
        kinds = {}
        won = confirmed = 0
        walls = []
        for outcomes, wall, in_db in rounds:
            won += outcomes.count("won")
            confirmed += in_db
            walls.append(wall)
            for outcome in outcomes:
                if outcome != "won":
                    kinds[outcome] = kinds.get(outcome, 0) + 1
        print(
            f"{len(rounds)} races of {DIRECT} direct connections, {mode}: {won} won, "
            f"{confirmed} confirmed in the database, wall per race "
            f"{1000 * sum(walls) / len(walls):.0f} ms"
        )
        for outcome, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print(f"  {count:4d} x {outcome}")
        if mode.startswith("with "):
            refused = kinds.get(f"ValidationError: {unavailable_message()}", 0)
            clean = won == len(rounds) == confirmed and refused == len(rounds) * (DIRECT - 1)
    return clean


def unavailable_message():
    return "This vehicle is no longer available for this slot."


def answer(reply, elapsed):
    """(ok, error name, error message, seconds) of a JSON-RPC reply."""
    if "error" in reply:
        data = reply["error"].get("data", {})
        return False, data.get("name", "?"), data.get("message", ""), elapsed
    return True, "", "", elapsed


def login(url, db):
    """The cookie of a session of the administrator, as the web client holds one."""
    reply = requests.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": PASSWORD}},
        timeout=60,
    )
    reply.raise_for_status()
    return {"session_id": reply.cookies["session_id"]}


def call_kw(url, cookies, method, args):
    """``carshare.booking.<method>(*args)`` as the web client calls it, in the session."""
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {"model": "carshare.booking", "method": method, "args": args, "kwargs": {}},
    }
    t0 = time.perf_counter()
    reply = requests.post(
        f"{url}/web/dataset/call_kw/carshare.booking/{method}",
        json=payload,
        cookies=cookies,
        timeout=120,
    ).json()
    return answer(reply, time.perf_counter() - t0)


def execute_kw(url, db, uid, method, args):
    """``carshare.booking.<method>(*args)`` over /jsonrpc, the password checked on each call,
    as external scripts call it."""
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [db, uid, PASSWORD, "carshare.booking", method, args],
        },
    }
    t0 = time.perf_counter()
    reply = requests.post(f"{url}/jsonrpc", json=payload, timeout=120).json()
    return answer(reply, time.perf_counter() - t0)


def warm_up(url, cookies, workers):
    """A few calls per worker, so that no timed call pays a worker's first load."""
    for _ in range(4 * workers):
        call_kw(url, cookies, "search", [[["id", "=", 0]]])


def bench_jsonrpc_race(env, community, args, admin):
    """100 drivers ask for the same vehicle and slot at once through a 4-worker server."""
    vehicle, start = race_slot(env, community, 88)
    drafts = make_drafts(env, community, vehicle, start, racers(community)[:RACERS])
    env.cr.commit()
    server, base = start_server(args, workers=4, port=args.port)
    try:
        warm_up(base, login(base, args.db), 4)
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=RACERS) as pool:
            answers = list(
                pool.map(
                    lambda i: execute_kw(base, args.db, admin.id, "action_confirm", [[i]]),
                    drafts.ids,
                )
            )
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    return answers, wall, settle(env, drafts)


def free_drafts(env, community, samples):
    """``samples`` drafts, each on a free vehicle and slot of its own, committed."""
    rng = random.Random(11)
    drivers = racers(community)
    now = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    taken = set()
    drafts = env["carshare.booking"]
    while len(drafts) < samples:
        start = now + timedelta(days=rng.randrange(2, 80), hours=rng.randrange(0, 24))
        free = simple_available(
            env, start, start + timedelta(hours=2), rng.choice(community.station_ids), community
        )
        day = start.date()
        free = free.filtered(lambda v, day=day: (v.id, day) not in taken)
        if not free:
            continue
        taken.add((free[0].id, day))
        driver = drivers[len(drafts) % len(drivers)]
        drafts |= make_drafts(env, community, free[0], start, driver, hours=2)
    env.cr.commit()
    return drafts


def bench_confirm_http(env, community, args, admin, composed_inline=False):
    """Each draft confirmed by one call, one at a time, on a 2-worker server: half in a web
    session (the desk agent's button), half over /jsonrpc with the password (a script), and
    20 empty searches in the session for the cost of a call itself, after
    a few untimed ones (each worker's first confirmation compiles the mail's templates). Half
    of them are also confirmed in this process first, tracking and pre-commit work included,
    rolled back. ``composed_inline``: the old way, the driver's mail composed in the request
    (queue_job's ``QUEUE_JOB__NO_DELAY`` runs the confirmation's job at once)."""
    warm, drafts = 4, free_drafts(env, community, args.samples + 8)
    in_process = []
    tracked = env(context={"queue_job__no_delay": composed_inline})
    for draft in drafts[warm : warm + args.samples // 2].with_env(tracked):
        with env.cr.savepoint(flush=False) as savepoint:
            t0 = time.perf_counter()
            draft.action_confirm()
            env.cr.precommit.run()
            env.flush_all()
            in_process.append(time.perf_counter() - t0)
            savepoint.rollback()
        env.cr.postcommit.clear()
        env.invalidate_all()
    environ = {"QUEUE_JOB__NO_DELAY": "1"} if composed_inline else {}
    server, base = start_server(args, workers=2, port=args.port, environ=environ)
    half = warm + args.samples // 2
    try:
        cookies = login(base, args.db)
        warm_up(base, cookies, 2)
        for draft in drafts[:warm] | drafts[-warm:]:
            call_kw(base, cookies, "action_confirm", [[draft.id]])
        empty = [call_kw(base, cookies, "search", [[["id", "=", 0]]]) for _i in range(20)]
        answers = [call_kw(base, cookies, "action_confirm", [[i]]) for i in drafts[warm:half].ids]
        by_password = [
            execute_kw(base, args.db, admin.id, "action_confirm", [[i]])
            for i in drafts[half:-warm].ids
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    refused = [a for a in answers + by_password if not a[0]]
    settle(env, drafts)
    env["queue.job"].search([("model_name", "=", "carshare.booking")]).unlink()
    env.cr.commit()
    times = [[a[3] for a in calls] for calls in (answers, by_password, empty)]
    return (*times, in_process, refused)


def report_races(env, registry, community, args, admin):
    """Print the races; true when each had one winner and only clean refusals."""
    clean = report_direct(bench_direct(env, registry, community, args.rounds))

    answers, wall, confirmed = bench_jsonrpc_race(env, community, args, admin)
    won = [a for a in answers if a[0]]
    kinds = {}
    for _ok, name, message, _t in answers:
        if name:
            kinds[(name, message)] = kinds.get((name, message), 0) + 1
    print(
        f"\n{RACERS} concurrent JSON-RPC confirmations of one slot, 4 workers: {len(won)} won, "
        f"{confirmed} confirmed in the database, wall {wall:.2f} s, "
        f"p95 answer {percentile([a[3] for a in answers], 0.95) * 1000:.0f} ms"
    )
    for (name, message), count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {count:4d} x {name}: {message}")
    expected = {("odoo.exceptions.ValidationError", unavailable_message())}
    return clean and len(won) == 1 == confirmed and set(kinds) == expected


def main():
    args = parse_args()
    ensure_database(args, "carshare_booking", "carshare_booking")
    env, registry = open_env(args)
    try:
        community = generate(env, args)
        admin = env.ref("base.user_admin")
        admin.password = PASSWORD
        env.cr.commit()
        print(f"data set: {args.vehicles} vehicles, {args.bookings} bookings\n", flush=True)

        clean = args.skip_races or report_races(env, registry, community, args, admin)

        refused = []
        for composed_inline, title in (
            (True, "old way, the driver's mail composed in the request"),
            (False, "the driver's mail composed by a job"),
        ):
            http, by_password, empty, in_process, failed = bench_confirm_http(
                env, community, args, admin, composed_inline
            )
            print(f"\n{title}:")
            print(timings("confirm one draft over HTTP, in a session", http, width=50))
            print(timings("  over /jsonrpc, the password checked each call", by_password, width=50))
            print(timings("  in this process, no HTTP", in_process, width=50))
            print(timings("  an empty search in the same session", empty, width=50))
            if failed:
                print(f"  {len(failed)} refused: {failed[0][1]}: {failed[0][2]}")
            refused += failed
        if not clean or refused:
            sys.exit("every race must have exactly one winner and only clean refusals")
    finally:
        env.cr.close()


if __name__ == "__main__":
    main()
