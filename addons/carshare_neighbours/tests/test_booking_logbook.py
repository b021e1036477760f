from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import NeighboursCase

# Tuesday 15 January 2030, 9:00 in Paris.
NOW = datetime(2030, 1, 15, 8, 0)


@tagged("post_install", "-at_install")
class TestBookingLogbook(NeighboursCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.member("Owner")
        cls.set_owners((cls.owner, 100.0))
        cls.station = cls.env["carshare.station"].create(
            {
                "name": "Pélussin Test",
                "code": "T-PEL",
                "tz": "Europe/Paris",
                "community_ids": [Command.link(cls.community.id)],
            }
        )
        cls.car.carshare_station_id = cls.station
        cls.car.odometer = 84210
        today = NOW.date()
        cls.driver = cls.env["res.partner"].create(
            {
                "name": "Anne Driver",
                "email": "anne@example.com",
                "carshare_birthdate": today - relativedelta(years=30),
                "driving_licence_number": "123456789012",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": today - relativedelta(years=10),
                "driving_licence_expiry_date": today + relativedelta(years=5),
            }
        )
        cls.env["carshare.membership"].create(
            {"community_id": cls.community.id, "partner_id": cls.driver.id, "state": "active"}
        )

    def book(self, community):
        with freeze_time(NOW):
            booking = self.env["carshare.booking"].create(
                {
                    "community_id": community.id,
                    "partner_id": self.driver.id,
                    "vehicle_id": self.car.id,
                    "date_start": NOW + timedelta(hours=2),
                    "date_end": NOW + timedelta(hours=5),
                }
            )
            booking.action_confirm()
        with freeze_time(NOW + timedelta(hours=2)):
            booking.action_start()
        with freeze_time(NOW + timedelta(hours=5)):
            booking.action_return(odometer=84297)
        return booking

    def test_return_logs_the_trip(self):
        booking = self.book(self.community)

        trip = self.env["carshare.neighbours.trip"].search([("booking_id", "=", booking.id)])
        self.assertEqual(len(trip), 1)
        self.assertEqual(trip.partner_id, self.driver)
        self.assertEqual(trip.vehicle_id, self.car)
        self.assertEqual(trip.date, NOW.date())
        self.assertEqual((trip.odometer_start, trip.odometer_end), (84210, 84297))
        self.assertEqual(trip.distance_km, 87)

    def test_other_communities_keep_no_logbook(self):
        town = self.env["carshare.community"].create({"name": "Town", "kind": "public_body"})
        self.car.carshare_community_ids = [Command.link(town.id)]
        self.station.community_ids = [Command.link(town.id)]
        self.env["carshare.membership"].create(
            {"community_id": town.id, "partner_id": self.driver.id, "state": "active"}
        )

        booking = self.book(town)

        self.assertEqual(booking.state, "done")
        self.assertFalse(
            self.env["carshare.neighbours.trip"].search([("booking_id", "=", booking.id)])
        )
