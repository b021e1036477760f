from datetime import datetime, timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestTariff(CarshareBillingCase):
    def _simulate(self, start, hours, **values):
        return self.env["carshare.tariff.simulator"].create(
            {
                "tariff_id": self.tariff.id,
                "date_start": start,
                "date_end": start + timedelta(hours=hours),
                **values,
            }
        )

    def _amounts(self, start, hours, **values):
        lines = self._simulate(start, hours, **values)._price_lines()
        return {line["key"]: round(line["quantity"] * line["price_unit"], 2) for line in lines}

    def test_hourly_price_and_booking_fee(self):
        """3 h at 1.50 = 4.50, + 1.00 booking fee = 5.50 TTC (4.58 untaxed: 3.75 + 0.83)."""
        simulator = self._simulate(FRIDAY_9H, 3)
        self.assertEqual(simulator.amount_total, 5.5)
        self.assertAlmostEqual(simulator.amount_untaxed, 4.58)
        self.assertIn("Booking fee", simulator.breakdown)

    def test_day_price_caps_the_hours(self):
        """Day price 12.00: 10 h at 1.50 = 15.00 is capped to 12.00; 4 h = 6.00 is not.
        30 h: the first 24 h (36.00) cost 12.00, the next 6 h 9.00, total 21.00."""
        self.version.day_price = 12.0
        self.assertEqual(self._amounts(FRIDAY_9H, 10), {"day": 12.0, "booking_fee": 1.0})
        self.assertEqual(self._amounts(FRIDAY_9H, 4), {"time": 6.0, "booking_fee": 1.0})
        self.assertEqual(
            self._amounts(FRIDAY_9H, 30), {"time": 9.0, "day": 12.0, "booking_fee": 1.0}
        )

    def test_time_slots(self):
        """Base 1.50; weekday evenings 18:00-24:00 at 1.00; weekends at 0.80 (Paris time).
        Friday 16:00-20:00: 2 h at 1.50 + 2 h at 1.00 = 5.00.
        Saturday 10:00-13:00: 3 h at 0.80 = 2.40.
        Friday 22:00 to Saturday 02:00: 2 h at 1.00 + 2 h at 0.80 = 3.60."""
        weekdays = dict.fromkeys(["monday", "tuesday", "wednesday", "thursday", "friday"], True)
        evening, weekend = self.env["carshare.tariff.slot"].create(
            [
                {
                    "version_id": self.version.id,
                    "name": "Evening",
                    "hour_from": 18.0,
                    "hour_to": 24.0,
                    "hour_price": 1.0,
                    **weekdays,
                },
                {
                    "version_id": self.version.id,
                    "name": "Weekend",
                    "saturday": True,
                    "sunday": True,
                    "hour_from": 0.0,
                    "hour_to": 24.0,
                    "hour_price": 0.8,
                },
            ]
        )
        friday_16h = datetime(2025, 1, 10, 15, 0)
        self.assertEqual(
            self._amounts(friday_16h, 4),
            {"time": 3.0, f"time:{evening.id}": 2.0, "booking_fee": 1.0},
        )
        saturday_10h = datetime(2025, 1, 11, 9, 0)
        self.assertEqual(
            self._amounts(saturday_10h, 3), {f"time:{weekend.id}": 2.4, "booking_fee": 1.0}
        )
        friday_22h = datetime(2025, 1, 10, 21, 0)
        self.assertEqual(
            self._amounts(friday_22h, 4),
            {f"time:{evening.id}": 2.0, f"time:{weekend.id}": 1.6, "booking_fee": 1.0},
        )

    def test_kilometres_included(self):
        """0.25 per km beyond 50 km: 80 km cost 30 x 0.25 = 7.50; 40 km cost nothing."""
        self.version.write({"km_price": 0.25, "km_included": 50})
        self.assertEqual(self._amounts(FRIDAY_9H, 2, distance_km=80)["km"], 7.5)
        self.assertNotIn("km", self._amounts(FRIDAY_9H, 2, distance_km=40))

    def test_subscription_discount(self):
        """Plan at 10.00 a month, -20 % on time, -50 % on distance:
        3 h at 1.50 = 4.50 - 20 % = 3.60; 30 km beyond the 50 included at 0.25 = 7.50 - 50 %
        = 3.75; + 1.00 booking fee = 8.35 TTC."""
        self.version.write({"km_price": 0.25, "km_included": 50})
        plan = self.env["carshare.subscription.plan"].create(
            {
                "name": "Frequent",
                "tariff_id": self.tariff.id,
                "monthly_fee": 10.0,
                "time_discount": 20.0,
                "km_discount": 50.0,
            }
        )
        simulator = self._simulate(FRIDAY_9H, 3, distance_km=80, plan_id=plan.id)
        self.assertAlmostEqual(simulator.amount_total, 8.35)

    def test_monthly_and_late_fees_in_simulator(self):
        """2 h 15 booked, returned 45 min late: 3 h at 1.50 = 4.50, + 1.00 booking fee,
        + 4.00 monthly fee, + 2 started half hours at 10.00 = 20.00: 29.50 TTC."""
        simulator = self._simulate(FRIDAY_9H, 2.25, monthly_fee=True, late_minutes=45)
        self.assertAlmostEqual(simulator.amount_total, 29.5)

    def test_simulator_without_version(self):
        simulator = self._simulate(datetime(2023, 6, 1, 8, 0), 2)
        self.assertIn("No version of the tariff", simulator.breakdown)
        self.assertEqual(simulator.amount_total, 0.0)
        with self.assertRaises(UserError):
            self.tariff._version_at(datetime(2023, 6, 1, 8, 0))

    def test_versions_by_date(self):
        """From 2025-02-01 the hour costs 2.00: a January trip keeps 1.50."""
        self.version.date_to = "2025-01-31"
        self.env["carshare.tariff.version"].create(
            {"tariff_id": self.tariff.id, "date_from": "2025-02-01", "hour_price": 2.0}
        )
        self.assertEqual(self._amounts(FRIDAY_9H, 2)["time"], 3.0)
        self.assertEqual(self._amounts(datetime(2025, 2, 3, 8, 0), 2)["time"], 4.0)

    def test_refuses_bad_input(self):
        Version = self.env["carshare.tariff.version"]
        with self.assertRaisesRegex(ValidationError, "Price per Hour cannot be negative"):
            self.version.hour_price = -1.0
        with self.assertRaisesRegex(ValidationError, "overlap"):
            Version.create({"tariff_id": self.tariff.id, "date_from": "2025-06-01"})
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            Version.create(
                {"tariff_id": self.tariff.id, "date_from": "2020-06-01", "date_to": "2020-01-01"}
            )
        with self.assertRaisesRegex(ValidationError, "late period"):
            self.version.late_fee_minutes = 0
        slot = {"version_id": self.version.id, "name": "Night", "monday": True, "hour_price": 1}
        Slot = self.env["carshare.tariff.slot"]
        with self.assertRaisesRegex(ValidationError, "between 0:00 and 24:00"):
            Slot.create({**slot, "hour_from": 22.0, "hour_to": 25.0})
        with self.assertRaisesRegex(ValidationError, "between 0:00 and 24:00"):
            Slot.create({**slot, "hour_from": 22.0, "hour_to": 6.0})
        with self.assertRaisesRegex(ValidationError, "Choose the days"):
            Slot.create({**slot, "monday": False, "hour_from": 0.0, "hour_to": 6.0})
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            Slot.create({**slot, "hour_from": 0.0, "hour_to": 6.0, "hour_price": -0.5})
        Plan = self.env["carshare.subscription.plan"]
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            Plan.create({"name": "Bad", "tariff_id": self.tariff.id, "time_discount": 120})
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            Plan.create({"name": "Bad", "tariff_id": self.tariff.id, "monthly_fee": -4})
        with self.assertRaisesRegex(ValidationError, "already has a tariff"):
            self.env["carshare.tariff"].create({"name": "Two", "community_id": self.community.id})

    def test_refuses_overlapping_subscriptions(self):
        plan = self.env["carshare.subscription.plan"].create(
            {"name": "Frequent", "tariff_id": self.tariff.id, "monthly_fee": 10.0}
        )
        Subscription = self.env["carshare.subscription"]
        Subscription.create(
            {"partner_id": self.alice.id, "plan_id": plan.id, "date_start": "2025-01-01"}
        )
        with self.assertRaisesRegex(ValidationError, "already has a subscription"):
            Subscription.create(
                {"partner_id": self.alice.id, "plan_id": plan.id, "date_start": "2025-03-01"}
            )
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            Subscription.create(
                {
                    "partner_id": self.bob.id,
                    "plan_id": plan.id,
                    "date_start": "2025-03-01",
                    "date_end": "2025-02-01",
                }
            )

    def test_community_opens_its_tariff(self):
        action = self.community.action_open_tariff()
        self.assertEqual(action["res_id"], self.tariff.id)
        self.assertEqual(self.community.tariff_id, self.tariff)
        self.assertEqual(
            self.tariff.action_open_simulator()["context"], {"default_tariff_id": self.tariff.id}
        )
        self.assertTrue(self.tariff.product_late_fee_id)
