from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestDistanceHold(CarshareBillingCase):
    """Issue 15: an impossible distance is not invoiced until a manager validates it."""

    def test_held_distance_waits_for_the_manager(self):
        """512 km in an hour at 0.30 per km is not invoiced; corrected to 51 km and validated:
        1 h x 1.50 = 1.50, + 51 x 0.30 = 15.30, + 1.00 booking fee + 4.00 monthly fee
        = 21.80 TTC."""
        self.version.km_price = 0.30
        booking = self._book(FRIDAY_9H, 1)
        with freeze_time(booking.date_start):
            booking.action_start(odometer=1000)
        with freeze_time(booking.date_start + timedelta(hours=1)):
            booking.action_return(odometer=1512)
        self.assertEqual(booking.distance_check, "held")
        self.assertEqual(booking.billing_state, "to_validate")
        self.assertEqual(booking.sale_order_id.state, "draft")
        self.assertFalse(booking.carshare_invoice_ids)
        with self.assertRaisesRegex(UserError, "Validate the distance of booking"):
            booking.action_validate_billing()

        booking.odometer_end = 1051
        booking.action_validate_distance()
        self.assertEqual(booking.billing_state, "invoiced")
        invoice = booking.carshare_invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertAlmostEqual(invoice.amount_total, 21.80)
        lines = invoice.invoice_line_ids
        section = lines.filtered(lambda line: line.display_type == "line_section")
        self.assertIn("51 km", section.name)

    def test_plausible_trip_is_invoiced_at_return(self):
        booking = self._trip(FRIDAY_9H, 2, km=250)
        self.assertFalse(booking.distance_check)
        self.assertEqual(booking.billing_state, "invoiced")
