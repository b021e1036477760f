from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestBookingBilling(CarshareBillingCase):
    def test_confirmation_creates_an_estimate(self):
        """Confirmed: a quotation for the driver, 3 h at 1.50 = 4.50 + 1.00 booking fee = 5.50."""
        booking = self._book(FRIDAY_9H, 3)
        order = booking.sale_order_id
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.partner_id, self.alice)
        self.assertEqual(order.carshare_booking_id, booking)
        self.assertEqual(order.origin, booking.name)
        self.assertEqual(order.order_line.carshare_booking_id, booking)
        self.assertEqual(booking.billing_state, "estimated")
        self.assertEqual(booking.billing_partner_id, self.alice)
        section = order.order_line.filtered(lambda line: line.display_type == "line_section")
        self.assertIn(booking.name, section.name)
        self.assertIn("Alice Martin", section.name)
        self.assertIn("GA-001-AF", section.name)
        self.assertEqual(self._lines(booking, "time").product_uom_qty, 3.0)
        self.assertEqual(booking.billing_amount, 5.5)

    def test_estimate_follows_the_booking(self):
        """Extended from 3 h to 4 h before the start: 6.00 + 1.00 = 7.00."""
        booking = self._book(FRIDAY_9H, 3)
        booking.date_end = FRIDAY_9H + timedelta(hours=4)
        self.assertEqual(self._lines(booking, "time").product_uom_qty, 4.0)
        self.assertEqual(booking.billing_amount, 7.0)

    def test_return_survives_an_invoicing_failure(self):
        """The vehicle is returned even if its invoice cannot be issued: the order waits for
        the month-end billing, and the booking says why."""
        booking = self._book(FRIDAY_9H, 2)
        failure = UserError("The income account is missing.")
        with patch.object(type(self.env["sale.order"]), "_carshare_invoice", side_effect=failure):
            self._drive(booking)
        self.assertEqual(booking.state, "done")
        self.assertEqual(booking.billing_state, "to_invoice")
        self.assertIn("The income account is missing.", booking.message_ids[0].body)
        self.assertAlmostEqual(self._month_end().amount_total, 8.0)
        self.assertEqual(booking.billing_state, "invoiced")

    def test_personal_trip_invoiced_at_return(self):
        """First trip of January, 2 h: 2 x 1.50 = 3.00, + 1.00 booking fee, + 4.00 monthly fee
        = 8.00 TTC, 20 % VAT included, rounded on the total (EN 16931): 8.00 / 1.2 = 6.67
        untaxed."""
        booking = self._trip(FRIDAY_9H, 2, km=35)
        invoice = booking.carshare_invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, self.alice)
        self.assertEqual(invoice.carshare_community_id, self.community)
        self.assertAlmostEqual(invoice.amount_total, 8.0)
        self.assertAlmostEqual(invoice.amount_untaxed, 6.67)
        self.assertEqual(booking.billing_state, "invoiced")
        default_tax = self.company.account_sale_tax_id
        for line in invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            self.assertEqual(line.carshare_booking_id, booking)
            self.assertEqual(line.carshare_vehicle_id, self.vehicle)
            self.assertEqual(line.carshare_station_id, self.station)
            self.assertEqual(line.tax_ids.amount, default_tax.amount)
            self.assertTrue(line.tax_ids.price_include)
            income = line.product_id.product_tmpl_id._get_product_accounts()["income"]
            self.assertEqual(line.account_id, income)
        lines = invoice.invoice_line_ids
        section = lines.filtered(lambda line: line.display_type == "line_section")
        self.assertIn("35 km", section.name)

    def test_monthly_fee_once_in_a_month_with_a_trip(self):
        """January: 8.00 for the first 2 h trip (3.00 + 1.00 booking fee + 4.00 monthly fee),
        4.00 for the second (3.00 + 1.00); February: 8.00 again. Bob's first trip of January
        carries his own fee."""
        first = self._trip(FRIDAY_9H, 2)
        second = self._trip(FRIDAY_9H + timedelta(days=7), 2)
        february = self._trip(datetime(2025, 2, 7, 8, 0), 2)
        bob = self._trip(FRIDAY_9H + timedelta(days=1), 2, driver=self.bob, vehicle=self.vehicle_2)
        self.assertEqual(len(self._lines(first, "monthly_fee")), 1)
        self.assertFalse(self._lines(second, "monthly_fee"))
        self.assertEqual(len(self._lines(february, "monthly_fee")), 1)
        self.assertEqual(len(self._lines(bob, "monthly_fee")), 1)
        self.assertEqual(
            [b.carshare_invoice_ids.amount_total for b in (first, second, february, bob)],
            [8.0, 4.0, 8.0, 8.0],
        )

    def test_monthly_fee_per_payer(self):
        """The fee is the resident's. January: Bob drives 2 h for Acme on the 10th (3.00 +
        1.00 = 4.00, no fee), 2 h for himself on the 11th (3.00 + 1.00 + 4.00 = 8.00, on his
        invoice), Carol 1 h for Acme on the 14th (1.50 + 1.00 = 2.50): Acme owes 6.50.
        February, the community makes employers pay it, once: Bob for Acme on the 4th (3.00 +
        1.00 + 4.00 = 8.00), Carol for Acme on the 5th (2.50), Bob for himself on the 6th
        (8.00, his own fee): Acme owes 10.50."""
        bob_pro = self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        bob_perso = self._trip(FRIDAY_9H + timedelta(days=1), 2, driver=self.bob)
        carol = self._trip(
            FRIDAY_9H + timedelta(days=4), 1, driver=self.carol, usage="pro", vehicle=self.vehicle_2
        )
        self.assertFalse(self._lines(bob_pro, "monthly_fee"))
        self.assertFalse(self._lines(carol, "monthly_fee"))
        self.assertAlmostEqual(bob_perso.carshare_invoice_ids.amount_total, 8.0)
        self.assertEqual(bob_perso.carshare_invoice_ids.partner_id, self.bob)
        january = self._month_end()
        self.assertEqual(january.partner_id, self.employer)
        self.assertAlmostEqual(january.amount_total, 6.5)
        self.community.monthly_fee_on_employers = True
        february = datetime(2025, 2, 4, 8, 0)
        bob_pro = self._trip(february, 2, driver=self.bob, usage="pro")
        carol = self._trip(
            february + timedelta(days=1), 1, driver=self.carol, usage="pro", vehicle=self.vehicle_2
        )
        bob_perso = self._trip(february + timedelta(days=2), 2, driver=self.bob)
        self.assertEqual(len(self._lines(bob_pro, "monthly_fee")), 1)
        self.assertFalse(self._lines(carol, "monthly_fee"))
        self.assertAlmostEqual(bob_perso.carshare_invoice_ids.amount_total, 8.0)
        invoice = self._month_end("2025-02-01", "2025-02-28")
        self.assertAlmostEqual(invoice.amount_total, 10.5)

    def test_no_monthly_fee_without_a_trip(self):
        """A cancelled booking and a no-show do not make a month with a trip; the trip after
        them pays the fee."""
        self.version.cancellation_deadline_hours = 24
        cancelled = self._book(FRIDAY_9H, 2)
        with freeze_time(FRIDAY_9H - timedelta(days=1, hours=12)):
            cancelled.action_cancel()
        missed = self._book(FRIDAY_9H + timedelta(days=3), 2)
        with freeze_time(missed.date_start + timedelta(minutes=30)):
            self.env["carshare.booking"]._cron_detect_no_shows()
        self.assertEqual(missed.state, "no_show")
        trip = self._trip(FRIDAY_9H + timedelta(days=5), 2)
        self.assertEqual(cancelled.billing_state, "cancelled")
        self.assertEqual(missed.billing_state, "cancelled")
        self.assertEqual(len(self._lines(trip, "monthly_fee")), 1)

    def test_late_return_fee_per_started_half_hour(self):
        """10 min late is within the 15 min grace: no fee, 2 h billed.
        47 min late: 2 started half hours at 10.00 TTC = 20.00 (16.67 + 3.33 VAT), and the
        2 h 47 driven are billed: 2.78 h at 1.50."""
        on_time = self._trip(FRIDAY_9H, 2, late_minutes=10)
        self.assertFalse(self._lines(on_time, "late_fee"))
        self.assertEqual(self._lines(on_time, "time").product_uom_qty, 2.0)
        late = self._trip(FRIDAY_9H + timedelta(days=2), 2, late_minutes=47)
        self.assertEqual(late.late_minutes, 47)
        fee = self._lines(late, "late_fee")
        self.assertEqual(fee.product_uom_qty, 2)
        self.assertEqual(fee.price_unit, 10.0)
        self.assertAlmostEqual(fee.price_total, 20.0)
        self.assertAlmostEqual(fee.price_subtotal, 16.67)
        self.assertEqual(self._lines(late, "time").product_uom_qty, 2.78)
        invoice_fee = late.carshare_invoice_ids.invoice_line_ids.filtered(
            lambda line: line.carshare_component == "late_fee"
        )
        self.assertAlmostEqual(invoice_fee.price_total, 20.0)

    def test_late_return_billing_setting(self):
        """47 min late on a 2 h trip. Late fee only: 2 h of time (3.00) + 2 started half hours
        (20.00) + 1.00 + 4.00 = 28.00. Extra time only: 2 h 47 = 2.78 h (4.17) + 1.00 = 5.17
        (the month's fee already paid)."""
        self.community.late_return_billing = "fee"
        fee_only = self._trip(FRIDAY_9H, 2, late_minutes=47)
        self.assertEqual(self._lines(fee_only, "time").product_uom_qty, 2.0)
        self.assertEqual(self._lines(fee_only, "late_fee").product_uom_qty, 2)
        self.assertAlmostEqual(fee_only.carshare_invoice_ids.amount_total, 28.0)
        self.community.late_return_billing = "time"
        time_only = self._trip(FRIDAY_9H + timedelta(days=2), 2, late_minutes=47)
        self.assertEqual(self._lines(time_only, "time").product_uom_qty, 2.78)
        self.assertFalse(self._lines(time_only, "late_fee"))
        self.assertAlmostEqual(time_only.carshare_invoice_ids.amount_total, 5.17)

    def test_cancellation_fee_after_the_deadline(self):
        """Free cancellation until 24 h before the start, 5.00 after: cancelled 48 h before,
        nothing to pay; cancelled 2 h before, 5.00 TTC and nothing else."""
        self.version.write({"cancellation_fee": 5.0, "cancellation_deadline_hours": 24})
        early = self._book(FRIDAY_9H, 2)
        with freeze_time(FRIDAY_9H - timedelta(hours=48)):
            early.action_cancel()
        self.assertEqual(early.sale_order_id.state, "cancel")
        self.assertEqual(early.billing_state, "cancelled")
        self.assertFalse(early.carshare_invoice_ids)
        late = self._book(FRIDAY_9H + timedelta(days=2), 2)
        with freeze_time(late.date_start - timedelta(hours=2)):
            late.action_cancel()
        self.assertEqual(late.date_cancelled, late.date_start - timedelta(hours=2))
        invoice = late.carshare_invoice_ids
        self.assertAlmostEqual(invoice.amount_total, 5.0)
        self.assertEqual(
            invoice.invoice_line_ids.filtered("product_id").mapped("carshare_component"),
            ["cancellation_fee"],
        )

    def test_no_show_fee(self):
        """Not picked up within the 15 min grace: the cron marks a no-show, 15.00 is due."""
        self.version.no_show_fee = 15.0
        booking = self._book(FRIDAY_9H, 2)
        with freeze_time(FRIDAY_9H + timedelta(minutes=20)):
            self.env["carshare.booking"]._cron_detect_no_shows()
        self.assertEqual(booking.state, "no_show")
        invoice = booking.carshare_invoice_ids
        self.assertAlmostEqual(invoice.amount_total, 15.0)
        self.assertEqual(
            invoice.invoice_line_ids.filtered("product_id").mapped("carshare_component"),
            ["no_show_fee"],
        )

    def test_manager_validates_and_adds_a_penalty(self):
        """With validation required, the ended booking waits (8.00); the manager adds a
        50.00 + 20 % penalty, pricing again keeps it, and the invoice is 8.00 + 60.00 = 68.00."""
        self.community.billing_requires_validation = True
        booking = self._trip(FRIDAY_9H, 2)
        order = booking.sale_order_id
        self.assertEqual(booking.billing_state, "to_validate")
        self.assertEqual(order.state, "draft")
        self.assertFalse(booking.carshare_invoice_ids)
        order.order_line = [
            Command.create(
                {
                    "product_id": self.env.ref("carshare_billing.product_carshare_penalty").id,
                    "name": "Vehicle returned dirty",
                    "price_unit": 50.0,
                    "tax_id": [Command.set(self.company.account_sale_tax_id.ids)],
                }
            )
        ]
        booking.action_reprice_billing()
        self.assertIn("Vehicle returned dirty", order.order_line.mapped("name"))
        booking.action_validate_billing()
        self.assertEqual(booking.billing_state, "invoiced")
        self.assertAlmostEqual(booking.carshare_invoice_ids.amount_total, 68.0)
        with self.assertRaisesRegex(UserError, "not waiting for a validation"):
            booking.action_validate_billing()

    def test_professional_use_waits_for_the_employer_invoice(self):
        """Professional use is billed to the employer, with its purchase order, at month end."""
        booking = self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        order = booking.sale_order_id
        self.assertEqual(order.partner_id, self.employer)
        self.assertEqual(order.client_order_ref, "PO-ACME-2025")
        self.assertEqual(order.state, "sale")
        self.assertEqual(booking.billing_state, "to_invoice")
        self.assertFalse(booking.carshare_invoice_ids)

    def test_personal_use_of_an_employee_billed_to_them(self):
        booking = self._trip(FRIDAY_9H, 2, driver=self.bob)
        self.assertEqual(booking.carshare_invoice_ids.partner_id, self.bob)

    def test_community_without_tariff_is_not_billed(self):
        self.tariff.unlink()
        booking = self._trip(FRIDAY_9H, 2)
        self.assertEqual(booking.billing_state, "none")
        self.assertFalse(booking.sale_order_id)
        with self.assertRaisesRegex(UserError, "nothing to price"):
            booking.action_reprice_billing()
