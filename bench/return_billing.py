"""A vehicle's return, then its invoice: in the return's transaction (the old way) against a
queue_job job run by the job runner after the return's commit.

    scripts/bench return_billing.py [--returns 200] [--job-workers 2] [--every 0.5]

Uses the month-end benchmark's database (``billing_month_end.py`` builds it: one community at
the AutoFree 61 prices, 100 vehicles, 600 drivers), copied so that the returns can be committed.
Each return is ``carshare.booking.action_return`` on an ongoing personal booking with its
draft order, then the commit, as the MQTT bridge does for a device's return event:

- the old way: with queue_job's ``queue_job__no_delay``, the invoice is made and posted inside
  the return's transaction;
- jobs: the return queues its billing job; an Odoo with ``--job-workers`` workers and queue_job's
  job runner makes the invoice. A thread watches for each invoice: the delay from the return's
  commit until the booking is invoiced.

The returns come one every ``--every`` seconds (0.5: 7,200 an hour, more than a national fleet's
evening peak), each way: back to back they would measure a queue, not a delay.
"""

import argparse
import os
import subprocess
import threading
import time
from datetime import datetime, timedelta

from benchlib import ensure_database, percentile, timings
from billing_month_end import generate, open_env, start_job_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_billing_bench")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--returns", type=int, default=200, help="returns of each way")
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between two returns")
    parser.add_argument("--bookings", type=int, default=0, help="month-end bookings, if built")
    parser.add_argument("--reset", action="store_true")
    return parser.parse_args()


def ongoing_bookings(env, community, count):
    """``count`` personal bookings of as many residents, ended and not returned yet (the
    vehicles' last ones two hours ago), each with its draft order."""
    vehicles = env["fleet.vehicle"].search([("carshare_community_ids", "in", community.ids)])
    drivers = env["carshare.membership"].search(
        [("community_id", "=", community.id), ("audience", "=", "resident")]
    )
    now = datetime.utcnow().replace(microsecond=0)
    values = []
    for index in range(count):
        start = now - timedelta(hours=2 + 5 * (index // len(vehicles)))
        values.append(
            {
                "community_id": community.id,
                "vehicle_id": vehicles[index % len(vehicles)].id,
                "partner_id": drivers[index % len(drivers)].partner_id.id,
                "usage": "perso",
                "date_start": start,
                "date_end": start + timedelta(hours=2),
                "state": "ongoing",
                "date_pickup": start,
                "odometer_start": 1000.0 * index,
            }
        )
    bookings = env["carshare.booking"].create(values)
    bookings._carshare_create_sale_orders()
    env.cr.commit()
    return bookings


def return_all(env, bookings, committed, every):
    seconds = []
    due = time.perf_counter()
    for booking in bookings:
        time.sleep(max(due - time.perf_counter(), 0))
        start = time.perf_counter()
        booking.action_return(odometer=booking.odometer_start + 42)
        env.cr.commit()
        seconds.append(time.perf_counter() - start)
        committed[booking.id] = time.perf_counter()
        due = start + every
    return seconds


def watch_invoices(registry, committed, invoiced, done):
    """Record when each returned booking's order is invoiced, until ``done`` is set and all
    are."""
    with registry.cursor() as cr:
        while not (done.is_set() and len(invoiced) >= len(committed)):
            cr.execute(
                "SELECT b.id FROM carshare_booking b JOIN sale_order o ON o.id = b.sale_order_id"
                " WHERE b.id = ANY(%s) AND o.invoice_status = 'invoiced'",
                [[bid for bid in committed if bid not in invoiced]],
            )
            now = time.perf_counter()
            for (booking_id,) in cr.fetchall():
                invoiced[booking_id] = now
            cr.commit()
            time.sleep(0.05)


def main():
    import odoo

    args = parse_args()
    fresh = ensure_database(args, "carshare_billing", "carshare_tariff")
    env = open_env(args)
    community = env["carshare.community"].search([("name", "=", "Bench month-end")])
    if fresh or not community:
        community = generate(env, args)
    community_id = community.id
    env.cr.close()
    copy = f"{args.db}_returns"
    odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", copy], check=True)
    subprocess.run(["createdb", "-T", args.db, copy], check=True)
    server = start_job_server(args, copy)
    try:
        registry = odoo.modules.registry.Registry(copy)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})  # as the bridge runs: tracking on
            community = env["carshare.community"].browse(community_id)
            # The month-end benchmark validates its bookings before billing; here a return
            # invoices at once, as AutoFree 61 does.
            community.billing_requires_validation = False
            env = env(context=dict(env.context, allowed_company_ids=community.company_id.ids))
            bookings = ongoing_bookings(env, community.with_env(env), 2 * args.returns)
            old, new = bookings[: args.returns], bookings[args.returns :]
            at_once = env(context=dict(env.context, queue_job__no_delay=True))
            old_seconds = return_all(at_once, old.with_env(at_once), {}, args.every)
            committed, invoiced, done = {}, {}, threading.Event()
            watcher = threading.Thread(
                target=watch_invoices, args=(registry, committed, invoiced, done)
            )
            watcher.start()
            new_seconds = return_all(env, new, committed, args.every)
            done.set()
            watcher.join(timeout=600)
            done_states = dict(env["queue.job"]._read_group([], ["state"], ["__count"]))
        delays = [invoiced[b] - committed[b] for b in committed if b in invoiced]
        print(
            f"{args.returns} returns each way, one every {args.every} s, "
            f"{args.job_workers} job workers"
        )
        print(timings("return, invoice in its transaction", old_seconds))
        print(timings("return, invoice by a job", new_seconds))
        print(timings("return's commit to its invoice (job)", delays))
        print(f"jobs by state: {done_states}")
        print(
            f"invoiced by the jobs: {len(delays)} of {len(committed)}; slowest "
            f"{max(delays, default=0):.1f} s, p95 {percentile(delays, 0.95) if delays else 0:.1f} s"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        odoo.sql_db.close_all()
        subprocess.run(["dropdb", "--if-exists", copy], check=True)


if __name__ == "__main__":
    main()
