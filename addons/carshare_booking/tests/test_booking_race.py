import threading
import time
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import NOW

THREADS = 16
DONE = ("done", "")
REFUSED = ("refused", "This vehicle is no longer available for this slot.")
# Wednesday 16 January 2030, 10:00 in Paris: inside every rule of the race community.
DAY = NOW + timedelta(days=1)
# A booking of the generated races: the vehicle (0 or 1), its start in half hours after DAY,
# its length in half hours, and what its thread does: confirm it (a draft), or extend it by an
# hour or move it to the other vehicle (a booking confirmed before the race).
RACE_BOOKINGS = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, 12),
        st.integers(2, 8),
        st.sampled_from(["confirm", "extend", "move"]),
    ),
    min_size=2,
    max_size=6,
)


@freeze_time(NOW)
@tagged("post_install", "-at_install", "carshare_race")
class TestBookingRace(TransactionCase):
    """Several connections write slots of the same vehicles at the same moment, each in its own
    transaction, as concurrent requests, crons and the bridge do.

    The test commits through its own connections, outside the test transaction: it deletes
    everything it committed when it ends, whatever the outcome.
    """

    def setUp(self):
        super().setUp()
        self.fixture = self._commit_fixture()
        self.addCleanup(self._delete_fixture)

    def _cursor(self):
        cr = db_connect(self.env.cr.dbname).cursor()
        # The test runner holds the registry lock: hand the registry over instead of looking it up.
        cr.transaction = api.Transaction(self.registry)
        return cr

    def _commit_fixture(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            community = env["carshare.community"].create({"name": "Race Community"})
            station = env["carshare.station"].create(
                {"name": "Race Station", "code": "RACE", "tz": "Europe/Paris"}
            )
            brand = env["fleet.vehicle.model.brand"].create({"name": "Race Brand"})
            model = env["fleet.vehicle.model"].create({"name": "Race Car", "brand_id": brand.id})
            vehicles = env["fleet.vehicle"].create(
                [
                    {
                        "model_id": model.id,
                        "carshare_shared": True,
                        "carshare_station_id": station.id,
                        "carshare_community_ids": [Command.link(community.id)],
                    }
                    for _index in range(2)
                ]
            )
            drivers = env["res.partner"].create(
                [
                    {
                        "name": f"Racer {index}",
                        "carshare_birthdate": NOW.date() - relativedelta(years=30),
                        "driving_licence_number": f"RACE{index}",
                        "carshare_verified_on": "2020-01-01 00:00:00",
                        "driving_licence_category": "B",
                        "driving_licence_issue_date": NOW.date() - relativedelta(years=5),
                    }
                    for index in range(THREADS)
                ]
            )
            memberships = env["carshare.membership"].create(
                [
                    {
                        "community_id": community.id,
                        "partner_id": driver.id,
                        "audience": "agent",
                        "state": "active",
                    }
                    for driver in drivers
                ]
            )
            return {
                "carshare.booking": [],
                "carshare.membership": memberships.ids,
                "res.partner": drivers.ids,
                "fleet.vehicle": vehicles.ids,
                "fleet.vehicle.model": model.ids,
                "fleet.vehicle.model.brand": brand.ids,
                "carshare.station": station.ids,
                "carshare.community": community.ids,
            }

    def _commit_bookings(self, slots):
        """Drafts of ``slots`` ((vehicle index, start, end)), one driver each, committed."""
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            bookings = env["carshare.booking"].create(
                [
                    {
                        "community_id": self.fixture["carshare.community"][0],
                        "partner_id": self.fixture["res.partner"][index],
                        "vehicle_id": self.fixture["fleet.vehicle"][vehicle],
                        "date_start": start,
                        "date_end": end,
                    }
                    for index, (vehicle, start, end) in enumerate(slots)
                ]
            )
            self.fixture["carshare.booking"] += bookings.ids
            return bookings.ids

    def _clear_bookings(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bookings = env["carshare.booking"].browse(self.fixture["carshare.booking"])
            bookings.write({"state": "cancelled"})
            bookings.unlink()
        self.fixture["carshare.booking"] = []

    def _delete_fixture(self):
        self._clear_bookings()
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            for model, ids in self.fixture.items():
                env[model].browse(ids).unlink()

    def _race(self, operations):
        """Run each ``(booking id, operation)`` in its own thread, connection and transaction,
        all started at once: {booking id: ("done", ""), ("refused", its message) or ("error",
        the error)}; the bookings the early overlap check refused in ``self.early_refusals``.

        Each transaction reads its booking before the start, so that its snapshot is taken:
        a transaction that waited for another does not see what that one committed. Past the
        early check, a transaction waits until every other one has passed it too, has ended
        or waits for a vehicle's lock, so that without the lock they all write at once.
        """
        barrier = threading.Barrier(len(operations))
        passed, ended = set(), set()
        results = {}
        self.early_refusals = []
        booking_model = type(self.env["carshare.booking"])
        check_overlap = booking_model._check_overlap

        def check_then_wait(booking):
            try:
                check_overlap(booking)
            except UserError:
                self.early_refusals.append(booking.id)
                raise
            passed.add(booking.id)
            deadline = time.monotonic() + 10
            while (
                len(passed | ended) + self._waiting_for_vehicle_locks() < len(operations)
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)

        def run(booking_id, operation):
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})
                booking = env["carshare.booking"].browse(booking_id)
                booking.state  # noqa: B018 the first read takes the transaction's snapshot
                barrier.wait(timeout=30)
                try:
                    operation(booking)
                    cr.commit()  # pylint: disable=invalid-commit
                    results[booking_id] = ("done", "")
                except UserError as error:
                    cr.rollback()
                    results[booking_id] = ("refused", str(error))
                # Whatever else happens (a deadlock, a serialisation failure) is what the test
                # is looking for: record it instead of losing it in the thread.
                except Exception as error:  # pylint: disable=broad-exception-caught
                    cr.rollback()
                    results[booking_id] = ("error", f"{type(error).__name__}: {error}")
                finally:
                    ended.add(booking_id)

        threads = [threading.Thread(target=run, args=operation) for operation in operations]
        # Threads mute the refused queries' log in turn: mute it for the whole race instead.
        with (
            mute_logger("odoo.sql_db"),
            patch.object(booking_model, "_check_overlap", check_then_wait),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=90)
        return results

    def _waiting_for_vehicle_locks(self):
        with self._cursor() as cr:
            cr.execute(
                """SELECT count(*) FROM pg_locks
                    WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted"""
            )
            return cr.fetchone()[0]

    def _active_slots(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bookings = env["carshare.booking"].browse(self.fixture["carshare.booking"])
            return {
                booking.id: (
                    booking.vehicle_id.id,
                    booking.date_start,
                    booking.date_end + timedelta(minutes=booking.buffer_minutes),
                )
                for booking in bookings
                if booking.state in ("confirmed", "ongoing")
            }

    def test_only_one_wins(self):
        # Each booking overlaps all the others by more than half an hour.
        ids = self._commit_bookings(
            [
                (0, DAY + timedelta(minutes=5 * index), DAY + timedelta(hours=2, minutes=5 * index))
                for index in range(THREADS)
            ]
        )
        results = self._race([(i, lambda b: b.action_confirm()) for i in ids])

        outcomes = list(results.values())
        self.assertEqual(len(outcomes), THREADS)
        self.assertEqual(outcomes.count(DONE), 1, outcomes)
        self.assertEqual(outcomes.count(REFUSED), THREADS - 1, outcomes)
        # Every snapshot predates the winner's commit: the early check saw no winner, the
        # exclusion constraint refused every loser.
        self.assertEqual(self.early_refusals, [])
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bookings = env["carshare.booking"].browse(ids)
            confirmed = bookings.filtered(lambda b: b.state == "confirmed")
            self.assertEqual(confirmed.ids, [i for i, r in results.items() if r == DONE])
            self.assertTrue(confirmed.access_code)
            self.assertEqual(set((bookings - confirmed).mapped("state")), {"draft"})
            self.assertFalse(any((bookings - confirmed).mapped("access_code")))

    def test_crossed_transfers(self):
        """Two bookings change vehicles in opposite directions while drafts on both vehicles
        are confirmed: both transfers lock the two vehicles in the same order, so nobody waits
        for a transaction that waits for them."""
        ids = self._commit_bookings(
            [
                (0, DAY, DAY + timedelta(hours=1)),
                (1, DAY + timedelta(hours=3), DAY + timedelta(hours=4)),
                (0, DAY + timedelta(hours=3), DAY + timedelta(hours=4)),
                (1, DAY, DAY + timedelta(hours=1)),
            ]
        )
        moving, drafts = ids[:2], ids[2:]
        self._confirm_committed(moving)
        vehicles = self.fixture["fleet.vehicle"]

        def move_to(vehicle_id):
            return lambda booking: booking.write({"vehicle_id": vehicle_id})

        results = self._race(
            [
                (moving[0], move_to(vehicles[1])),
                (moving[1], move_to(vehicles[0])),
                *((i, lambda b: b.action_confirm()) for i in drafts),
            ]
        )
        # Each draft takes the slot a transfer wants on its vehicle: per vehicle, one of the
        # two wins, the other is refused cleanly.
        for transfer, draft in ((moving[0], drafts[1]), (moving[1], drafts[0])):
            self.assertEqual(sorted([results[transfer], results[draft]]), [DONE, REFUSED], results)

    def _confirm_committed(self, ids):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})
            env["carshare.booking"].browse(ids).action_confirm()

    @settings(max_examples=8, deadline=None, database=None)
    @given(plan=RACE_BOOKINGS)
    def test_generated_races(self, plan):
        """Confirmations, extensions and transfers of overlapping slots on two vehicles, all at
        once: each is done or refused with a message, never a database error, and the active
        bookings at the end leave each other their buffers."""
        try:
            self._check_generated_race(plan)
        finally:
            self._clear_bookings()

    def _check_generated_race(self, plan):
        ids = self._commit_bookings(
            [
                (
                    vehicle,
                    DAY + timedelta(hours=start / 2),
                    DAY + timedelta(hours=(start + length) / 2),
                )
                for vehicle, start, length, _op in plan
            ]
        )
        operations = []
        for booking_id, (vehicle, _start, _length, op) in zip(ids, plan, strict=True):
            # A booking to extend or move is confirmed first, when its slot is free.
            if op != "confirm" and self._confirmed_alone(booking_id):
                other = self.fixture["fleet.vehicle"][1 - vehicle]
                operations.append((booking_id, self._operation(op, other)))
            else:
                operations.append((booking_id, lambda b: b.action_confirm()))
        results = self._race(operations)

        self.assertEqual({i: r for i, r in results.items() if r[0] == "error"}, {})
        self.assertEqual(len(results), len(plan))
        slots = sorted(self._active_slots().values())
        for (vehicle, _start, end), (next_vehicle, next_start, _end) in zip(
            slots, slots[1:], strict=False
        ):
            if vehicle == next_vehicle:
                self.assertLessEqual(end, next_start)

    def _confirmed_alone(self, booking_id):
        try:
            self._confirm_committed([booking_id])
        except UserError:
            return False
        return True

    @staticmethod
    def _operation(op, other_vehicle):
        if op == "extend":
            return lambda b: b.write({"date_end": b.date_end + timedelta(hours=1)})
        return lambda b: b.write({"vehicle_id": other_vehicle})
