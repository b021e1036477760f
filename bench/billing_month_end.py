"""Month-end billing of one community: the batch run against invoicing bookings one by one.

    scripts/bench billing_month_end.py [--bookings 10000] [--sample 300] [--job-workers 2]
        [--no-in-process] [--reset] [--doc]

Builds (once) a database with one French company (chart ``fr``), one community at the AutoFree 61
prices, 100 shared vehicles, 600 drivers (150 of them employees of 20 companies) and
``--bookings`` returned bookings of January 2025, 30 % for professional use; each booking has its
confirmed sale order, priced by ``carshare.booking._carshare_billing_lines``, waiting to be
invoiced (as when the community validates its bookings before billing). Then, each time on that
same state, rolled back afterwards:

- unless ``--no-in-process``, the month-end jobs, ``sale.order._carshare_enqueue_period`` (one
  job per employer, one per batch of 200 personal orders: one invoice per personal booking, one
  per employer for the professional ones), performed one after the other in this process;
- the same jobs run by queue_job's job runner on a copy of the database, with
  ``--job-workers`` Odoo workers (2 by default), timed from their commit until the queue is empty;
- the simple alternative, invoicing and posting each booking's order on its own, measured on a
  random sample of ``--sample`` orders and extrapolated to all of them.

``--doc`` writes the figures in the "Billing month-end" section of docs/benchmarks.md.
"""

import argparse
import os
import platform
import random
import re
import subprocess
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
from benchlib import ensure_database, free_port, open_registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONTH_START = datetime(2025, 1, 1)
VEHICLES = 100
DRIVERS = 600
EMPLOYEES = 150
EMPLOYERS = 20
PRO_SHARE = 0.3
SLOT_HOURS = 7  # one booking per vehicle every 7 hours: 100 vehicles x 106 slots in January
SECTION = "## Billing month-end"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="cs_billing_bench")
    parser.add_argument("--conf", default=os.path.join(ROOT, "var", "odoo-bench.conf"))
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument(
        "--sizes",
        default="10,25,50,100,200",
        help="batch sizes of personal invoices to compare on the sample",
    )
    parser.add_argument(
        "--sweep-only", action="store_true", help="compare batch sizes, skip the full run"
    )
    parser.add_argument(
        "--employer-sizes",
        default="25,50,100,150",
        help="orders on one employer's invoice, to see how its cost grows",
    )
    parser.add_argument(
        "--job-workers", type=int, default=2, help="Odoo workers running the month-end jobs"
    )
    parser.add_argument(
        "--no-in-process",
        action="store_true",
        help="skip the jobs performed one after the other in this process (the full size "
        "then fits in 20 minutes on 2 cores): the job workers' run and the one-by-one sample stay",
    )
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--doc", action="store_true", help="write docs/benchmarks.md")
    return parser.parse_args()


def open_env(args):
    import odoo

    cr = open_registry(args).cursor()
    context = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, context)


def generate(env, args):
    """Company, community, fleet, drivers and the month's returned bookings with their orders."""
    from odoo import Command

    # The country is set on the partner: on the company it would install more localisations.
    company = env["res.company"].create({"name": "Département (bench)"})
    company.partner_id.country_id = env.ref("base.fr")
    env["account.chart.template"].try_loading("fr", company, install_demo=False)
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    community = env["carshare.community"].create(
        {"name": "Bench month-end", "company_id": company.id, "billing_requires_validation": True}
    )
    station = env["carshare.station"].create(
        {
            "name": "Bench station",
            "company_id": company.id,
            "tz": "Europe/Paris",
            "closed_from": 0.0,
            "closed_to": 0.0,
        }
    )
    tariff = env["carshare.tariff"].create(
        {"name": "AutoFree 61", "community_id": community.id, "tz": "Europe/Paris"}
    )
    env["carshare.tariff.version"].create(
        {"tariff_id": tariff.id, "date_from": "2024-01-01", "km_price": 0.1, "km_included": 50}
    )
    brand = env["fleet.vehicle.model.brand"].create({"name": "Renault"})
    model = env["fleet.vehicle.model"].create({"name": "Zoé", "brand_id": brand.id})
    vehicles = env["fleet.vehicle"].create(
        [
            {
                "model_id": model.id,
                "license_plate": f"BE-{number:03d}-NC",
                "company_id": company.id,
                "carshare_shared": True,
                "carshare_station_id": station.id,
                "carshare_community_ids": [Command.link(community.id)],
            }
            for number in range(VEHICLES)
        ]
    )
    employers = env["res.partner"].create(
        [{"name": f"Employer {number:02d}", "is_company": True} for number in range(EMPLOYERS)]
    )
    drivers = env["res.partner"].create([{"name": f"Driver {n:03d}"} for n in range(DRIVERS)])
    env["carshare.membership"].create(
        [
            {
                "community_id": community.id,
                "partner_id": driver.id,
                "state": "active",
                "audience": "employee" if index < EMPLOYEES else "resident",
                "employer_id": employers[index % EMPLOYERS].id if index < EMPLOYEES else False,
            }
            for index, driver in enumerate(drivers)
        ]
    )
    bookings = create_bookings(env, community, vehicles, drivers, args.bookings)
    create_orders(env, bookings)
    env.cr.commit()
    return community


def create_bookings(env, community, vehicles, drivers, count):
    rng = random.Random(61)
    values = []
    for index in range(count):
        vehicle = vehicles[index % VEHICLES]
        start = MONTH_START + timedelta(
            hours=SLOT_HOURS * (index // VEHICLES), minutes=5 * (index % VEHICLES % 12)
        )
        hours = rng.choice([1, 1.5, 2, 3, 4])
        employee = rng.random() < PRO_SHARE
        driver = drivers[rng.randrange(EMPLOYEES)] if employee else drivers[rng.randrange(DRIVERS)]
        late = rng.choice([0] * 18 + [20, 47])
        odometer = 1000.0 * (index // VEHICLES)
        values.append(
            {
                "community_id": community.id,
                "vehicle_id": vehicle.id,
                "partner_id": driver.id,
                "usage": "pro" if employee else "perso",
                "date_start": start,
                "date_end": start + timedelta(hours=hours),
                "state": "done",
                "date_pickup": start,
                "date_return": start + timedelta(hours=hours, minutes=late),
                "odometer_start": odometer,
                "odometer_end": odometer + rng.randrange(5, 120),
                "late_minutes": late,
            }
        )
    bookings = env["carshare.booking"]
    for chunk in range(0, count, 2000):
        bookings |= env["carshare.booking"].create(values[chunk : chunk + 2000])
        print(f"  {len(bookings)} bookings", flush=True)
    return bookings


def create_orders(env, bookings):
    """Each booking's confirmed order, priced by the addon; orders are created in batches where
    a driver appears once, so that the monthly fee lands on their first trip only."""
    from odoo import Command

    ranks = defaultdict(list)
    for _driver, trips in bookings.grouped("partner_id").items():
        for rank, booking in enumerate(trips.sorted("date_start")):
            ranks[rank].append(booking)
    SaleOrder = env["sale.order"]
    done = 0
    for rank in sorted(ranks):
        values_list = []
        for booking in ranks[rank]:
            values = booking._carshare_sale_order_values()
            draft = SaleOrder.new(values)
            values["order_line"] = [
                Command.create(draft._carshare_line_values(line, sequence))
                for sequence, line in enumerate(booking._carshare_billing_lines(), start=1)
            ]
            values_list.append(values)
        orders = SaleOrder.create(values_list)
        orders.action_confirm()
        for booking, order in zip(ranks[rank], orders, strict=True):
            booking.sale_order_id = order
        env.flush_all()
        done += len(orders)
        print(f"  {done} orders", flush=True)


def measure(env, func):
    env.flush_all()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    result = func()
    env.flush_all()
    return result, time.perf_counter() - start, env.cr.sql_log_count - queries


def in_process_run(env, community):
    """The month-end jobs performed at once, one after the other, in this transaction."""
    orders = env(context=dict(env.context, queue_job__no_delay=True))["sale.order"]

    def run():
        jobs = orders._carshare_enqueue_period(date(2025, 1, 1), date(2025, 1, 31), community)
        return env["account.move"].union(*(job.result for job in jobs))

    return measure(env, run)


def job_runner_run(args, community_id):
    """The month-end jobs queued and committed in a copy of the database, then run by the job
    runner of an Odoo with ``--job-workers`` workers: ``(jobs, seconds, states, invoices)``,
    the seconds from the commit until no job waits or runs, the invoices posted then."""
    import odoo

    copy = f"{args.db}_jobs"
    odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", copy], check=True)
    subprocess.run(["createdb", "-T", args.db, copy], check=True)
    server = start_job_server(args, copy)
    try:
        with odoo.modules.registry.Registry(copy).cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            community = env["carshare.community"].browse(community_id)
            env = env(context=dict(env.context, allowed_company_ids=community.company_id.ids))
            jobs = env["sale.order"]._carshare_enqueue_period(
                date(2025, 1, 1), date(2025, 1, 31), community
            )
            cr.commit()
            start = time.perf_counter()
            while True:
                cr.execute("SELECT state, count(*) FROM queue_job GROUP BY state")
                states = dict(cr.fetchall())
                cr.commit()
                if not set(states) & {"wait_dependencies", "pending", "enqueued", "started"}:
                    break
                time.sleep(0.2)
            seconds = time.perf_counter() - start
            cr.execute(
                "SELECT count(*) FROM account_move WHERE carshare_community_id = %s"
                " AND state = 'posted'",
                [community_id],
            )
            invoices = cr.fetchone()[0]
        return len(jobs), seconds, states, invoices
    finally:
        server.terminate()
        server.wait(timeout=60)
        odoo.sql_db.close_all()
        subprocess.run(["dropdb", "--if-exists", copy], check=True)


def start_job_server(args, db):
    """An Odoo on ``db`` whose job runner (queue_job, a server-wide module) gives the jobs to
    ``--job-workers`` workers; the limits leave a batch of 200 invoices time to finish. Its
    log is var/<db>.log."""
    port = free_port()
    # Left open as long as the server writes to it.
    log = open(os.path.join(ROOT, "var", f"{db}.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            "odoo",
            "-c",
            args.conf,
            "-d",
            db,
            "--db-filter",
            f"^{db}$",
            "--http-port",
            str(port),
            "--gevent-port",
            str(free_port()),
            "--workers",
            str(args.job_workers),
            "--max-cron-threads",
            "0",
            "--load",
            "base,web,queue_job",
            "--limit-time-real",
            "3600",
            "--limit-time-cpu",
            "3600",
            "--log-level=warn",
        ],
        env={**os.environ, "ODOO_QUEUE_JOB_CHANNELS": f"root:{args.job_workers}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(480):
        try:
            requests.get(f"http://127.0.0.1:{port}/web/health", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("the job server did not start")


def one_by_one(env, orders):
    def invoice_each():
        invoices = env["account.move"]
        for order in orders:
            invoice = order._create_invoices()
            invoice.action_post()
            invoices |= invoice
        return invoices

    return measure(env, invoice_each)


def batch_sizes(env, orders, sizes):
    """Seconds per order of ``sale.order._carshare_invoice`` on ``orders`` (personal ones) with
    each batch size, every run rolled back."""
    from odoo.addons.carshare_billing.models import sale_order

    results = {}
    saved = sale_order.INVOICE_BATCH
    try:
        for size in sizes:
            sale_order.INVOICE_BATCH = size
            _invoices, seconds, _queries = measure(env, orders._carshare_invoice)
            env.cr.rollback()
            env.invalidate_all()
            results[size] = seconds / len(orders)
            print(f"  batch of {size:>4}: {results[size] * 1000:.1f} ms per order", flush=True)
    finally:
        sale_order.INVOICE_BATCH = saved
    return results


def employer_invoice_sizes(env, pro, sizes):
    """Seconds per order of one employer's monthly invoice of its first n orders, for each n
    of ``sizes``, every run rolled back: how an invoice's cost grows with its lines."""
    groups = pro.grouped("partner_invoice_id").values()
    orders = max(groups, key=len).sorted("id")
    results = {}
    for size in (size for size in sizes if size <= len(orders)):
        _invoices, seconds, _queries = measure(
            env, lambda size=size: orders[:size]._carshare_invoice()
        )
        env.cr.rollback()
        env.invalidate_all()
        results[size] = seconds / size
        print(f"  one invoice of {size:>4} orders: {seconds:.1f} s", flush=True)
    return results


def write_doc(lines):
    path = Path(ROOT, "docs", "benchmarks.md")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = "\n".join([SECTION, "", *lines]) + "\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main():
    args = parse_args()
    fresh = ensure_database(args, "carshare_billing", "carshare_tariff")
    env = open_env(args)
    try:
        community = env["carshare.community"].search([("name", "=", "Bench month-end")])
        if fresh or not community:
            print(f"generating {args.bookings} bookings and their orders ...", flush=True)
            community = generate(env, args)
        # Measured as the product runs: the jobs' context (tracking, the chatter's messages), not
        # the generation's, which skips them.
        env = env(context={"allowed_company_ids": community.company_id.ids})
        orders = env["sale.order"].search(
            [("carshare_community_id", "=", community.id), ("invoice_status", "=", "to invoice")]
        )
        pro = orders.filtered(lambda o: o.carshare_booking_id.usage == "pro")
        personal = orders - pro
        print(f"orders to invoice: {len(orders)} ({len(pro)} professional)\n", flush=True)
        sample = env["sale.order"].browse(
            random.Random(61).sample(personal.ids, min(args.sample, len(personal)))
        )

        _invoices, sample_seconds, sample_queries = one_by_one(env, sample)
        env.cr.rollback()
        env.invalidate_all()
        per_order = sample_seconds / len(sample)
        print(
            f"one by one: {len(sample)} personal orders, {per_order * 1000:.1f} ms each "
            f"({sample_queries / len(sample):.0f} queries each)",
            flush=True,
        )
        print(f"batch sizes on the same {len(sample)} orders:", flush=True)
        sizes = batch_sizes(env, sample, [int(size) for size in args.sizes.split(",")])
        print("one employer's invoice by its number of orders:", flush=True)
        employer = employer_invoice_sizes(
            env, pro, [int(size) for size in args.employer_sizes.split(",")]
        )
        if args.sweep_only:
            return
        extrapolated = per_order * len(orders)
        in_process = None
        if not args.no_in_process:
            print("month-end jobs in this process ...", flush=True)
            invoices, batch_seconds, batch_queries = in_process_run(env, community)
            env.cr.rollback()
            in_process = (batch_seconds, batch_queries)
            print(
                f"month-end jobs one after the other: {len(invoices)} invoices posted in "
                f"{batch_seconds:.1f} s ({batch_seconds / len(orders) * 1000:.1f} ms per "
                f"booking, {batch_queries} queries); one by one extrapolated: "
                f"{extrapolated:.0f} s; ratio {extrapolated / batch_seconds:.1f}",
                flush=True,
            )
        community_id = community.id
        env.cr.close()
        print(f"month-end jobs with {args.job_workers} job workers ...", flush=True)
        jobs, runner_seconds, states, invoice_count = job_runner_run(args, community_id)
        print(
            f"month-end jobs with {args.job_workers} job workers: {jobs} jobs, "
            f"{invoice_count} invoices posted in "
            f"{runner_seconds:.1f} s ({runner_seconds / len(orders) * 1000:.1f} ms per booking), "
            f"job states {states}; ratio one by one / job workers "
            f"{extrapolated / runner_seconds:.1f}",
            flush=True,
        )
        if args.doc:
            write_doc(
                doc_lines(
                    args,
                    orders,
                    pro,
                    invoice_count,
                    in_process,
                    (sample, per_order, sample_queries),
                    sizes,
                    employer,
                    (jobs, runner_seconds),
                )
            )
            print("docs/benchmarks.md updated")
    finally:
        env.cr.close()


def doc_lines(args, orders, pro, invoice_count, in_process, simple, sizes, employer, runner):
    from odoo.addons.carshare_billing.models.sale_order import INVOICE_BATCH

    sample, per_order, sample_queries = simple
    jobs, runner_seconds = runner
    extrapolated = per_order * len(orders)
    best = min(sizes, key=sizes.get)
    in_process_row, in_process_ratio = [], " (the jobs one after the other not run)"
    if in_process:
        batch_seconds, batch_queries = in_process
        in_process_row = [
            f"| the same jobs one after the other (batches of {INVOICE_BATCH}) | "
            f"{invoice_count} | {batch_seconds:.1f} s | "
            f"{batch_seconds / len(orders) * 1000:.1f} ms | {batch_queries} |"
        ]
        in_process_ratio = f" (one after the other: {extrapolated / batch_seconds:.1f})"
    return [
        f"`scripts/bench billing_month_end.py --bookings {args.bookings} --sample {args.sample}`,"
        f" {date.today().isoformat()}, {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), PostgreSQL on the same machine, "
        "shared with other jobs.",
        "",
        f"{len(orders)} returned bookings of one community in January 2025 ({len(pro)} for "
        f"professional use, {EMPLOYERS} employers), each with its confirmed sale order waiting "
        "for the month-end billing.",
        "",
        "| way | invoices | time | per booking | SQL queries |",
        "|---|---:|---:|---:|---:|",
        f"| month-end jobs with {args.job_workers} job workers ({jobs} jobs) | {invoice_count} | "
        f"{runner_seconds:.1f} s | {runner_seconds / len(orders) * 1000:.1f} ms | |",
        *in_process_row,
        f"| one by one, {len(sample)} random personal orders measured | {len(sample)} | "
        f"{per_order * len(sample):.1f} s | {per_order * 1000:.1f} ms | "
        f"{sample_queries / len(sample):.0f} per booking |",
        f"| one by one, extrapolated to all | {len(orders)} | {extrapolated:.0f} s | "
        f"{per_order * 1000:.1f} ms | |",
        "",
        f"Ratio one by one / month-end jobs with {args.job_workers} job workers: "
        f"**{extrapolated / runner_seconds:.1f}**{in_process_ratio}.",
        "",
        f"Personal invoices are created {INVOICE_BATCH} orders per `_create_invoices` call. The "
        f"batch size, on the same {len(sample)} personal orders (ms per order):",
        "",
        "| batch size | " + " | ".join(str(size) for size in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
        "| ms per order | "
        + " | ".join(f"{seconds * 1000:.1f}" for seconds in sizes.values())
        + " |",
        "",
        f"The fastest here is {best} ({sizes[best] * 1000:.1f} ms per order, the slowest "
        f"{max(sizes.values()) * 1000:.1f} ms): what the batch saves is the invoice creation "
        "and posting overhead paid once per call instead of once per order.",
        "",
        "One employer's monthly invoice (all its professional bookings as lines) by its number "
        "of orders:",
        "",
        "| orders on the invoice | " + " | ".join(str(size) for size in employer) + " |",
        "|---|" + "---:|" * len(employer),
        "| ms per order | "
        + " | ".join(f"{seconds * 1000:.0f}" for seconds in employer.values())
        + " |",
    ]


if __name__ == "__main__":
    main()
