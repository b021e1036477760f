"""Issue 18: a return ends the booking at once; the invoice of a personal booking is made after
the return's commit by queue_job's job runner in the running server (the suite's server runs it:
``queue_job`` is a server-wide module of its configuration, with workers), as the desk agent,
the key box and the accountant see it over JSON-RPC and MQTT.

The trips last seconds on the real clock: the communities' plausible speed is the highest
allowed (1,000 km/h) and each trip 1 km, driven for 4 s at least, so that its distance is
billed as read."""

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from conftest import RpcError
from doc_devices import DocDevice

pytest_plugins = ["iot_fixtures"]

DESK = ("desk@example.com", "desk")
ACCOUNTANT = ("accountant@example.com", "accountant")
# The test communities' tariff, taxes excluded; French VAT on the carsharing services.
HOUR_PRICE, KM_PRICE, BOOKING_FEE, MONTHLY_FEE = 2.0, 0.4, 1.0, 4.0
VAT = 0.20
TRIP_KM = 1
TRIP_SECONDS = 4  # 1 km in 4 s: 900 km/h, within the bound
JOB_SECONDS = 30  # the runner starts 5 s after its server, then takes a job within a second
BILL_ENDED = "_carshare_job_bill_ended"
LIFECYCLE = ["pending", "enqueued", "started", "done"]


def paris_today():
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def expected_invoice(hours, km):
    """A resident's first trip of the month: time, distance, the booking fee and the monthly
    fee, then the VAT on the total."""
    untaxed = round(HOUR_PRICE * hours + KM_PRICE * km + BOOKING_FEE + MONTHLY_FEE, 2)
    tax = round(untaxed * VAT, 2)
    return untaxed, tax, round(untaxed + tax, 2)


class Billing:
    """The IoT world's community and a second one, each with the tariff above, and residents
    created for each trip (each owes the monthly fee of its first trip)."""

    def __init__(self, odoo, world):
        self.odoo, self.world = odoo, world
        self.communities = [world.community, self._community()]
        self.tariffs = {}
        for community in self.communities:
            odoo.execute(
                "carshare.community",
                "write",
                [community],
                {
                    "deposit_amount": 0.0,
                    "max_average_speed_kmh": 1000.0,
                    "max_upcoming_bookings": 0,
                    "billing_requires_validation": False,
                },
            )
            self.tariffs[community] = self._tariff(community)
        self.odoo.execute(
            "carshare.station",
            "write",
            [world.station],
            {"community_ids": [(4, self.communities[1])]},
        )

    def _community(self):
        return self.world.create(
            "carshare.community",
            {
                "name": f"Jobs test {self.world.tag}",
                "min_lead_minutes": 0,
                "buffer_minutes": 0,
                "grace_minutes": 15,
                "access_lead_minutes": 15,
            },
        )

    def _tariff(self, community):
        return self.world.create(
            "carshare.tariff",
            {
                "name": f"Jobs test {self.world.tag} {community}",
                "community_id": community,
                "tz": "Europe/Paris",
                "price_include_tax": False,
                "version_ids": [(0, 0, self.version_values(date.today() - timedelta(days=400)))],
            },
        )

    @staticmethod
    def version_values(date_from):
        return {
            "date_from": date_from.isoformat(),
            "hour_price": HOUR_PRICE,
            "km_price": KM_PRICE,
            "booking_fee": BOOKING_FEE,
            "monthly_fee": MONTHLY_FEE,
        }

    def resident(self, community):
        tag = f"{self.world.tag}-{len(self.world.created)}"
        partner = self.world.create(
            "res.partner",
            {
                "name": f"Resident {tag}",
                "email": f"resident-{tag}@example.com",
                "carshare_birthdate": "1985-05-05",
                "driving_licence_number": f"R{tag}",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": "2008-01-01",
                "driving_licence_expiry_date": "2040-01-01",
            },
        )
        self.world.create(
            "carshare.membership",
            {
                "community_id": community,
                "partner_id": partner,
                "audience": "resident",
                "state": "active",
            },
        )
        return partner

    def book(self, car, community=None, minutes=60):
        """A resident's personal booking of ``car`` starting in a minute, confirmed."""
        community = community or self.communities[0]
        if (
            community
            not in self.world.read("fleet.vehicle", car["id"], ["carshare_community_ids"])[
                "carshare_community_ids"
            ]
        ):
            self.odoo.execute(
                "fleet.vehicle", "write", [car["id"]], {"carshare_community_ids": [(4, community)]}
            )
        start = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) + timedelta(
            minutes=1
        )
        booking = self.odoo.execute(
            "carshare.booking",
            "create",
            {
                "community_id": community,
                "partner_id": self.resident(community),
                "vehicle_id": car["id"],
                "usage": "perso",
                "date_start": start.strftime("%Y-%m-%d %H:%M:%S"),
                "date_end": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        self.world.bookings.append(booking)
        self.odoo.execute("carshare.booking", "action_confirm", [booking], user=DESK)
        return self.world.booking(booking)

    def billing(self, booking_id):
        return self.odoo.execute(
            "carshare.booking",
            "read",
            [booking_id],
            ["state", "billing_state", "carshare_invoice_ids", "date_return", "distance_km"],
            user=ACCOUNTANT,
        )[0]

    def job(self, booking_id, user=None):
        jobs = self.odoo.execute(
            "queue.job",
            "search_read",
            [("func_string", "=", f"carshare.booking({booking_id},).{BILL_ENDED}()")],
            fields=[
                "state",
                "channel",
                "date_created",
                "date_enqueued",
                "date_started",
                "date_done",
                "worker_pid",
                "exc_name",
                "exc_message",
                "exc_info",
                "result",
            ],
            **({"user": user} if user else {}),
        )
        assert len(jobs) == 1, f"one billing job for booking {booking_id}: {jobs}"
        return jobs[0]

    def wait_job(self, booking_id, state, user=None):
        """The job's states seen until it reaches ``state``."""
        seen = []
        deadline = time.monotonic() + JOB_SECONDS
        while True:
            job = self.job(booking_id, user)
            if not seen or seen[-1] != job["state"]:
                seen.append(job["state"])
            if job["state"] == state:
                return job, seen
            assert time.monotonic() < deadline, f"job of {booking_id}: {seen}, not {state}"
            time.sleep(0.2)

    def invoice(self, invoice_ids):
        return self.odoo.execute(
            "account.move",
            "read",
            invoice_ids,
            [
                "state",
                "move_type",
                "partner_id",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "create_date",
            ],
            user=ACCOUNTANT,
        )


@pytest.fixture(scope="module")
def billing(odoo, iot_world):
    return Billing(odoo, iot_world)


def drive(billing, booking):
    """Wait until the trip's 1 km is plausible since the pick-up."""
    picked = billing.world.read("carshare.booking", booking["id"], ["date_pickup"])["date_pickup"]
    picked_at = datetime.strptime(picked, "%Y-%m-%d %H:%M:%S")
    ready = picked_at + timedelta(seconds=TRIP_SECONDS + 1)
    while datetime.now(timezone.utc).replace(tzinfo=None) < ready:
        time.sleep(0.2)


def assert_invoiced_by_the_runner(billing, booking, returned_at_least):
    """After the return: the booking ended with its distance, the job queued in the return's
    transaction and run by the runner, whose worker made the posted invoice."""
    ended = billing.billing(booking["id"])
    assert ended["state"] == "done"
    assert ended["distance_km"] == TRIP_KM
    first = billing.job(booking["id"])
    assert first["channel"] == "root.carshare.billing"
    assert first["state"] in ("pending", "enqueued", "started", "done")
    job, seen = billing.wait_job(booking["id"], "done")
    steps = [LIFECYCLE.index(state) for state in [first["state"], *seen]]
    assert steps == sorted(steps), f"pending, enqueued, started then done: {seen}"
    # Queued with the return (pending), handed to a worker by the runner (enqueued, only the
    # runner writes it), run by an HTTP worker of the server, then done.
    assert job["date_created"] and job["date_enqueued"] and job["date_started"]
    assert ended["date_return"] <= job["date_created"] <= job["date_enqueued"]
    assert job["date_enqueued"] <= job["date_started"] <= job["date_done"]
    assert job["worker_pid"]
    billed = billing.billing(booking["id"])
    assert billed["billing_state"] == "invoiced"
    [invoice] = billing.invoice(billed["carshare_invoice_ids"])
    assert invoice["create_date"] >= job["date_started"] >= returned_at_least
    assert (invoice["state"], invoice["move_type"]) == ("posted", "out_invoice")
    untaxed, tax, total = expected_invoice(1.0, TRIP_KM)
    assert invoice["amount_untaxed"] == pytest.approx(untaxed)
    assert invoice["amount_tax"] == pytest.approx(tax)
    assert invoice["amount_total"] == pytest.approx(total)
    return invoice


def now_text():
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def test_desk_return_is_invoiced_by_the_job_runner(odoo, billing, iot_world):
    """Karim, at the desk, returns a resident's 1 h trip with the odometer read: his call
    returns with the booking ended and its billing queued; the runner's job invoices
    2.00 (1 h) + 0.40 (1 km) + 1.00 booking fee + 4.00 monthly fee = 7.40, VAT 1.48, 8.88."""
    car = iot_world.vehicle(odometer=5000)
    booking = billing.book(car)
    odoo.execute("carshare.booking", "action_start", [booking["id"]], odometer=5000, user=DESK)
    drive(billing, booking)
    before = now_text()
    assert odoo.execute(
        "carshare.booking", "action_return", [booking["id"]], odometer=5000 + TRIP_KM, user=DESK
    )
    assert_invoiced_by_the_runner(billing, booking, before)


def test_key_box_return_is_invoiced_by_the_job_runner(billing, iot_world, iot_broker, iot_bridge):
    """The resident takes the key with her code and puts it back: the bridge applies the key
    box's key.returned, the booking ends, and the runner's job invoices the same 8.88."""
    car = iot_world.vehicle(odometer=7000)
    device = iot_world.keybox
    box = DocDevice(iot_broker.port, device["identifier"], device["secret"], "keybox").start()
    try:
        booking = billing.book(car)
        box.wait_code(booking["access_code"])
        box.send("key.taken", {"slot": car["slot"], "code": booking["access_code"]})
        iot_world.wait_state(booking, "ongoing")
        drive(billing, booking)
        before = now_text()
        box.send("key.returned", {"slot": car["slot"], "odometer": 7000 + TRIP_KM})
        iot_world.wait_state(booking, "done")
        assert_invoiced_by_the_runner(billing, booking, before)
        returned = iot_world.messages(
            [("booking_id", "=", booking["id"]), ("message_type", "=", "key.returned")]
        )
        assert [m["state"] for m in returned] == ["processed"]
    finally:
        box.stop()


def test_failed_job_fails_alone_and_is_requeued(odoo, billing, iot_world):
    """The second community's tariff version was ended yesterday with no version after it: the
    job of its resident's return fails, readable by the accountant, while a return in the first
    community is invoiced; once the manager adds today's version and the accountant requeues
    the job, the invoice is made."""
    failing_community = billing.communities[1]
    tariff = billing.tariffs[failing_community]
    failing_car, other_car = iot_world.vehicle(odometer=9000), iot_world.vehicle(odometer=3000)
    failing = billing.book(failing_car, failing_community)
    other = billing.book(other_car)
    for booking, odometer in ((failing, 9000), (other, 3000)):
        odoo.execute(
            "carshare.booking", "action_start", [booking["id"]], odometer=odometer, user=DESK
        )
    today = paris_today()
    [version] = odoo.execute("carshare.tariff", "read", [tariff], ["version_ids"])[0]["version_ids"]
    odoo.execute(
        "carshare.tariff.version",
        "write",
        [version],
        {"date_to": (today - timedelta(days=1)).isoformat()},
    )
    drive(billing, failing)
    drive(billing, other)
    before = now_text()
    for booking, odometer in ((failing, 9000), (other, 3000)):
        assert odoo.execute(
            "carshare.booking",
            "action_return",
            [booking["id"]],
            odometer=odometer + TRIP_KM,
            user=DESK,
        )

    job, seen = billing.wait_job(failing["id"], "failed", user=ACCOUNTANT)
    assert "done" not in seen
    assert job["exc_name"] == "odoo.exceptions.UserError"
    expected_error = f"covers {today.isoformat()}: add one first"
    assert expected_error in job["exc_message"]
    assert expected_error in job["exc_info"]
    ended = billing.billing(failing["id"])
    assert (ended["state"], ended["carshare_invoice_ids"]) == ("done", [])
    assert_invoiced_by_the_runner(billing, other, before)

    with pytest.raises(RpcError) as refusal:
        odoo.execute("queue.job", "requeue", [job["id"]], user=DESK)
    assert refusal.value.name == "odoo.exceptions.AccessError"
    odoo.execute(
        "carshare.tariff.version",
        "create",
        {"tariff_id": tariff, **billing.version_values(today)},
        user=("manager@example.com", "manager"),
    )
    requeued_at = now_text()
    odoo.execute("queue.job", "requeue", [job["id"]], user=ACCOUNTANT)
    job, seen = billing.wait_job(failing["id"], "done", user=ACCOUNTANT)
    assert job["date_started"] >= requeued_at
    billed = billing.billing(failing["id"])
    assert billed["billing_state"] == "invoiced"
    [invoice] = billing.invoice(billed["carshare_invoice_ids"])
    assert invoice["state"] == "posted"
    assert invoice["amount_total"] == pytest.approx(expected_invoice(1.0, TRIP_KM)[2])
