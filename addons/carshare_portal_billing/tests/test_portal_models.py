from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalBillingModels(CarsharePortalBillingCase):
    """The prices and fees the portal shows, without a browser."""

    def test_preview_prices(self):
        Booking = self.env["carshare.booking"].sudo()
        start = self.booking_later.date_start
        values = {
            "community_id": self.community.id,
            "partner_id": self.bob.partner_id.id,
            "vehicle_id": self.car_booked.id,
            "date_start": start,
            "date_end": start + timedelta(hours=1),
        }
        taken = Booking._carshare_portal_preview(values)
        self.assertEqual(taken["error"], Booking._unavailable_message())
        free = {**values, "vehicle_id": self.car.id}
        preview = Booking._carshare_portal_preview(free)
        self.assertFalse(preview["error"])
        self.assertAlmostEqual(preview["price"], 2.5, msg="one hour at 1.50 and the booking fee")
        self.assertAlmostEqual(preview["buyback_price"], 7.6, msg="one started day of buy-back")
        two_days = {**free, "date_end": start + timedelta(hours=30)}
        self.assertAlmostEqual(Booking._carshare_portal_preview(two_days)["buyback_price"], 15.2)

    def test_yearly_insurance_covers_the_buyback(self):
        plan = self.env["carshare.subscription.plan"].create(
            {
                "name": "Yearly insurance",
                "tariff_id": self.community.tariff_id.id,
                "kind": "insurance",
            }
        )
        self.env["carshare.subscription"].create(
            {
                "partner_id": self.bob.partner_id.id,
                "plan_id": plan.id,
                "date_start": fields.Date.today() - timedelta(days=10),
            }
        )
        start = self.booking_later.date_start
        preview = (
            self.env["carshare.booking"]
            .sudo()
            ._carshare_portal_preview(
                {
                    "community_id": self.community.id,
                    "partner_id": self.bob.partner_id.id,
                    "vehicle_id": self.car.id,
                    "date_start": start,
                    "date_end": start + timedelta(hours=1),
                }
            )
        )
        self.assertEqual(preview["buyback_price"], 0.0)

    def test_cancellation_fee_and_extension(self):
        booking = self.booking_later.sudo()
        self.assertEqual(booking._carshare_portal_cancellation_fee(), 5.0)
        end = booking.date_end + timedelta(hours=1)
        booking._carshare_portal_extend(end)
        self.assertEqual(booking.date_end, end)
        self.assertAlmostEqual(booking.billing_amount, 4 * 1.5 + 1.0)
        blocker = self._confirmed(self.car_booked, end + timedelta(hours=2), driver=self.bob)
        with self.assertRaises(UserError):
            booking._carshare_portal_extend(blocker.date_start)
        self.assertEqual(booking.date_end, end)
