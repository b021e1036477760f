from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestCommunity(CarshareCase):
    def test_defaults_from_the_brief(self):
        community = self.env["carshare.community"].create({"name": "Defaults"})
        expected = {
            "kind": "public_body",
            "min_duration": 0.5,
            "max_duration": 72.0,
            "min_lead_minutes": 5,
            "horizon_days": 90,
            "max_upcoming_bookings": 3,
            "buffer_minutes": 30,
            "grace_minutes": 15,
            "deposit_amount": 150.0,
            "release_delay_hours": 24.0,
            "max_loan_days": 30,
            "driver_min_age": 18,
            "max_responsible_claims": 2,
            "claims_window_months": 12,
            "vehicle_max_weight": 3500,
            "vehicle_max_seats": 9,
            "vehicle_max_value": 30000.0,
        }
        self.assertEqual({name: community[name] for name in expected}, expected)
        self.assertFalse(community.priority_calendar_id)
        self.assertEqual(community.currency_id, self.env.company.currency_id)

    def test_station_and_vehicle_links_are_shared(self):
        self.assertEqual(self.community.station_ids, self.station)
        self.vehicle.carshare_community_ids = self.community
        self.assertEqual(self.community.vehicle_ids, self.vehicle)
        self.assertEqual(self.community.vehicle_count, 1)

    def test_min_duration_above_max_refused(self):
        Community = self.env["carshare.community"]
        with self.assertRefused(ValidationError, "cannot exceed its maximum duration"):
            Community.create({"name": "Bad Durations", "min_duration": 5.0, "max_duration": 2.0})
        self.assertFalse(Community.search([("name", "=", "Bad Durations")]))
        with self.assertRaises(ValidationError):
            self.community.min_duration = 100.0
        self.community.invalidate_recordset()
        self.assertEqual(self.community.min_duration, 0.5)

    def test_negative_durations_refused(self):
        for name in ("min_duration", "max_duration"):
            with self.subTest(field=name):
                with self.assertRaises(ValidationError):
                    self.community[name] = -1.0
                self.community.invalidate_recordset()
                self.assertEqual(
                    (self.community.min_duration, self.community.max_duration), (0.5, 72.0)
                )

    def test_negative_rules_refused(self):
        Community = self.env["carshare.community"]
        for name in (
            "buffer_minutes",
            "grace_minutes",
            "deposit_amount",
            "horizon_days",
            "min_lead_minutes",
            "max_upcoming_bookings",
            "release_delay_hours",
            "max_loan_days",
            "driver_min_age",
            "max_responsible_claims",
            "claims_window_months",
        ):
            with self.subTest(field=name):
                with self.assertRefused(ValidationError, "cannot be negative"):
                    Community.create({"name": "Negative", name: -1})
                self.assertFalse(Community.search([("name", "=", "Negative")]))
                before = self.community[name]
                with self.assertRaises(ValidationError):
                    self.community.write({name: -5})
                self.community.invalidate_recordset()
                self.assertEqual(self.community[name], before)
