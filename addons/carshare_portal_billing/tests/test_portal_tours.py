from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalBillingTours(CarsharePortalBillingCase):
    """The driver's journeys in a real browser, with the prices."""

    def test_search_and_book(self):
        start = fields.Datetime.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
        self.booking_soon.action_cancel()
        url = (
            f"/my/carshare/vehicles?community_id={self.community.id}"
            f"&date_start={self.local_input(start)}"
            f"&date_end={self.local_input(start + timedelta(hours=2))}"
        )
        self.start_tour(url, "carshare_portal_billing_booking", login="alice")
        booking = self.env["carshare.booking"].search(
            [
                ("partner_id", "=", self.alice.partner_id.id),
                ("state", "=", "confirmed"),
                ("vehicle_id", "=", self.car.id),
            ]
        )
        self.assertEqual(len(booking), 1)
        self.assertTrue(booking.carshare_insurance_buyback)
        self.assertEqual(booking.usage, "perso")
        buyback = booking.sale_order_id.order_line.filtered(
            lambda line: line.carshare_component == "insurance"
        )
        self.assertEqual(buyback.product_uom_qty, 1)
        self.assertAlmostEqual(buyback.price_unit, 7.6)

    def test_cancel(self):
        self.start_tour(
            self.booking_later.access_url, "carshare_portal_billing_cancel", login="alice"
        )
        self.assertEqual(self.booking_later.state, "cancelled")
