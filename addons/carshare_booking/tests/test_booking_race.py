import threading
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import NOW

THREADS = 4


@freeze_time(NOW)
@tagged("post_install", "-at_install", "carshare_race")
class TestBookingRace(TransactionCase):
    """Several connections confirm overlapping bookings of one vehicle at the same moment.

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
            vehicle = env["fleet.vehicle"].create(
                {
                    "model_id": model.id,
                    "carshare_shared": True,
                    "carshare_station_id": station.id,
                    "carshare_community_ids": [Command.link(community.id)],
                }
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
            # Each booking overlaps all the others by at least half an hour.
            bookings = env["carshare.booking"].create(
                [
                    {
                        "community_id": community.id,
                        "partner_id": driver.id,
                        "vehicle_id": vehicle.id,
                        "date_start": NOW + timedelta(days=1, hours=index / 2),
                        "date_end": NOW + timedelta(days=1, hours=2 + index / 2),
                    }
                    for index, driver in enumerate(drivers)
                ]
            )
            return {
                "carshare.booking": bookings.ids,
                "carshare.membership": memberships.ids,
                "res.partner": drivers.ids,
                "fleet.vehicle": vehicle.ids,
                "fleet.vehicle.model": model.ids,
                "fleet.vehicle.model.brand": brand.ids,
                "carshare.station": station.ids,
                "carshare.community": community.ids,
            }

    def _delete_fixture(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bookings = env["carshare.booking"].browse(self.fixture["carshare.booking"])
            bookings.write({"state": "cancelled"})
            for model, ids in self.fixture.items():
                env[model].browse(ids).unlink()

    def _confirm_in_own_transaction(self, booking_id, barrier, results):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})
            barrier.wait(timeout=30)
            try:
                env["carshare.booking"].browse(booking_id).action_confirm()
                cr.commit()  # pylint: disable=invalid-commit
                results[booking_id] = "confirmed"
            except ValidationError as error:
                cr.rollback()
                results[booking_id] = str(error)

    def test_only_one_wins(self):
        booking_model = type(self.env["carshare.booking"])
        check_overlap = booking_model._check_overlap
        # Every connection passes the friendly check before any writes: only PostgreSQL decides.
        checked = threading.Barrier(THREADS)

        def check_then_wait(booking):
            check_overlap(booking)
            checked.wait(timeout=30)

        start = threading.Barrier(THREADS)
        results = {}
        threads = [
            threading.Thread(target=self._confirm_in_own_transaction, args=(i, start, results))
            for i in self.fixture["carshare.booking"]
        ]
        # Threads mute the refused queries' log in turn: mute it for the whole race instead.
        with (
            mute_logger("odoo.sql_db"),
            patch.object(booking_model, "_check_overlap", check_then_wait),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        outcomes = list(results.values())
        self.assertEqual(len(outcomes), THREADS)
        self.assertEqual(outcomes.count("confirmed"), 1)
        self.assertEqual(
            outcomes.count("This vehicle is no longer available for this slot."), THREADS - 1
        )
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bookings = env["carshare.booking"].browse(self.fixture["carshare.booking"])
            confirmed = bookings.filtered(lambda b: b.state == "confirmed")
            self.assertEqual(confirmed.ids, [i for i, r in results.items() if r == "confirmed"])
            self.assertTrue(confirmed.access_code)
            self.assertEqual(set((bookings - confirmed).mapped("state")), {"draft"})
            self.assertFalse(any((bookings - confirmed).mapped("access_code")))
