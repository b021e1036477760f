from odoo.tests import tagged

from .common import CarsharePortalBillingCase


@tagged("post_install", "-at_install")
class TestPortalBillingTours(CarsharePortalBillingCase):
    """The driver's journeys in a real browser, with the prices."""

    def test_search_and_book(self):
        booking = self.book_the_free_car_in_tour("carshare_portal_billing_booking")
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
