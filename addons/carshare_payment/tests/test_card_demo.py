from datetime import timedelta
from unittest import SkipTest

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestDemoCardPayments(CarshareBillingCase):
    """The billing's card charges, holds and refunds with Odoo's ``payment_demo`` provider (in
    test state, capturing manually as Odoo decides for the whole provider): no Stripe.

    Alice books 2 h for herself: 150.00 are held on her card. The trip, 3.00 + 1.00 + 4.00 =
    8.00, is charged 24 h after the return."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "demo" not in dict(cls.env["payment.provider"]._fields["code"].selection):
            raise SkipTest("payment_demo is not installed (scripts/test installs it)")
        demo = cls.env.ref("payment.payment_provider_demo").sudo()
        cls.provider = demo.copy(
            {
                "company_id": cls.company.id,
                "state": "test",
                "capture_manually": True,
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        cls.company.carshare_card_provider_id = cls.provider
        cls.method = cls.env.ref("payment_demo.payment_method_demo").sudo()
        cls.provider.payment_method_ids = [Command.set(cls.method.ids)]
        cls.card = (
            cls.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": cls.provider.id,
                    "payment_method_id": cls.method.id,
                    "partner_id": cls.alice.id,
                    "provider_ref": "demo-card-alice",
                    "payment_details": "4242",
                    "demo_simulated_state": "done",
                }
            )
        )

    def _charge_at(self, moment):
        with freeze_time(moment), self._committing_jobs():
            self.env["account.move"]._cron_carshare_charge_cards()

    def _deposits_at(self, moment):
        with freeze_time(moment):
            self.env["carshare.deposit"]._cron_carshare_deposits()

    def _paid_trip(self):
        booking = self._trip(FRIDAY_9H, 2)
        invoice = booking.carshare_invoice_ids
        self.assertAlmostEqual(invoice.amount_total, 8.0)
        self._charge_at(invoice.carshare_charge_due_at)
        return booking, invoice

    def test_hold_and_charge_through_the_demo_provider(self):
        """The deposit is a hold (authorized, 150.00); the trip's charge, authorized too by a
        provider capturing manually, is captured at once and pays the invoice."""
        booking = self._book(FRIDAY_9H, 2)
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.hold_transaction_id.state, "authorized")
        self.assertAlmostEqual(deposit.hold_transaction_id.amount, 150.0)
        self._drive(booking)
        invoice = booking.carshare_invoice_ids
        self._charge_at(invoice.carshare_charge_due_at)
        charge = invoice.transaction_ids
        self.assertEqual((charge.provider_id, charge.state), (self.provider, "done"))
        self.assertAlmostEqual(charge.amount, 8.0)
        self.assertAlmostEqual(charge.payment_id.amount, 8.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(invoice.amount_residual, 0.0)

    def test_invoice_paid_from_the_portal_is_captured(self):
        """Alice pays her 8.00 invoice from the portal with a new card before it is charged:
        the provider, capturing manually for the deposits, authorizes the payment; its
        post-processing (the payment status page's) captures it, and the invoice is paid."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self.assertAlmostEqual(invoice.amount_total, 8.0)
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.method.id,
                    "operation": "online_direct",
                    "amount": 8.0,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.alice.id,
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        )
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
        )
        self.assertEqual(tx.state, "authorized")
        tx._post_process()
        self.assertEqual(tx.state, "done")
        self.assertAlmostEqual(tx.payment_id.amount, 8.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(invoice.amount_residual, 0.0)

    def test_a_card_saved_in_the_portal_holds_the_waiting_deposit_at_once(self):
        """Alice's card is gone: her booking's deposit waits for one. The card she saves (the
        portal's validation transaction, which creates its token) has the deposits' cron run
        now, not at its next hourly run; the cron then holds 150.00 on it."""
        self.card.active = False
        booking = self._book(FRIDAY_9H, 2)
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "to_register")
        cron = self.env.ref("carshare_payment.ir_cron_carshare_deposits")
        triggers = self.env["ir.cron.trigger"].sudo()
        before = triggers.search([("cron_id", "=", cron.id)])
        card = (
            self.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.method.id,
                    "partner_id": self.alice.id,
                    "provider_ref": "demo-card-alice-2",
                    "payment_details": "1111",
                    "demo_simulated_state": "done",
                }
            )
        )
        validation = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.method.id,
                    "operation": "validation",
                    "amount": 0.0,
                    "currency_id": self.company.currency_id.id,
                    "partner_id": self.alice.id,
                    "token_id": card.id,
                    "state": "authorized",
                }
            )
        )
        validation._post_process()
        self.assertTrue(triggers.search([("cron_id", "=", cron.id)]) - before)
        self._deposits_at(FRIDAY_9H - timedelta(hours=2))
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.hold_transaction_id.token_id, card)
        self.assertAlmostEqual(deposit.hold_transaction_id.amount, 150.0)

    def test_partial_capture_releases_the_rest(self):
        """40.00 of the 150.00 hold pay a 40.00 penalty invoice: a captured child of 40.00, the
        other 110.00 voided."""
        booking = self._book(FRIDAY_9H, 2)
        deposit = booking.carshare_deposit_ids
        penalty = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.alice.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Penalty", "quantity": 1, "price_unit": 40.0, "tax_ids": []}
                    )
                ],
            }
        )
        penalty.action_post()
        deposit.action_capture(40.0, penalty, "damage")
        self.assertEqual(deposit.state, "captured")
        children = deposit.hold_transaction_id.child_transaction_ids
        captured = children.filtered(lambda tx: tx.state == "done")
        voided = children.filtered(lambda tx: tx.state == "cancel")
        self.assertAlmostEqual(captured.amount, 40.0)
        self.assertAlmostEqual(voided.amount, 110.0)
        self.assertAlmostEqual(penalty.amount_residual, 0.0)

    def test_credit_note_refunded_to_the_card(self):
        """The 8.00 trip paid by card, refunded in full: a refund of -8.00 settles the credit
        note; the booking is credited, not billed again."""
        booking, invoice = self._paid_trip()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Car broke down", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        credit_note = invoice.reversal_move_ids
        credit_note.action_post()
        self._charge_at(invoice.carshare_charge_due_at + timedelta(hours=1))
        refund = invoice.transaction_ids.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -8.0)
        self.assertAlmostEqual(credit_note.amount_residual, 0.0)
        self.assertEqual(booking.billing_state, "credited")
        self.assertFalse(self._month_end())

    def test_deposit_released_as_soon_as_the_return_is_clean(self):
        """Returned on the 10th at 11:00 UTC, the check-in closed without damage: the hold waits
        for the trip's payment (the 11th at 11:00), then is released by the next run, not on
        the 17th."""
        booking, invoice = self._paid_trip()
        deposit = booking.carshare_deposit_ids
        self.assertEqual(
            booking.inspection_ids.filtered(lambda i: i.kind == "checkin").state, "done"
        )
        self.assertEqual(deposit.release_due_at, booking.date_return + timedelta(days=7))
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self._deposits_at(invoice.carshare_charge_due_at + timedelta(minutes=5))
        self.assertEqual(deposit.state, "released")
        self.assertEqual(deposit.hold_transaction_id.state, "cancel")

    def test_deposit_kept_while_the_trip_is_unpaid(self):
        """The card refuses the trip's charge: the hold stays until its release date, 7 days
        after the return."""
        booking = self._book(FRIDAY_9H, 2)
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "held")
        self.card.demo_simulated_state = "error"
        self._drive(booking)
        invoice = booking.carshare_invoice_ids
        self._charge_at(invoice.carshare_charge_due_at)
        self.assertEqual(invoice.payment_state, "not_paid")
        self._deposits_at(invoice.carshare_charge_due_at + timedelta(minutes=5))
        self.assertEqual(deposit.state, "held")
        self._deposits_at(deposit.release_due_at + timedelta(minutes=5))
        self.assertEqual(deposit.state, "released")

    def test_deposit_kept_after_a_responsible_damage(self):
        """The trip is paid but the check-in holds the driver responsible for a damage: the
        hold stays for the manager to capture, at most until the release date."""
        booking, invoice = self._paid_trip()
        checkin = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")
        self.env["carshare.damage"].create(
            {
                "inspection_id": checkin.id,
                "description": "Scratched rear bumper",
                "severity": "minor",
                "responsible": True,
            }
        )
        deposit = booking.carshare_deposit_ids
        self._deposits_at(invoice.carshare_charge_due_at + timedelta(minutes=5))
        self.assertEqual(deposit.state, "held")

    def test_provider_without_an_adapter_is_refused(self):
        other = (
            self.env["payment.provider"]
            .sudo()
            .create({"name": "Other Provider", "company_id": self.company.id})
        )
        with self.assertRaisesRegex(ValidationError, "no adapter"):
            self.company.carshare_card_provider_id = other

    def test_credited_trip_schedules_no_card_charge(self):
        """Bob's professional trip is on Acme's January invoice, refunded in full by a credit
        note: the month-end runs again bill nothing, and no card charge is scheduled."""
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        invoice = self._month_end()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Refunded", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        invoice.reversal_move_ids.action_post()
        self.assertFalse(self._month_end())
        self.assertFalse(self._month_end("2025-02-01", "2025-02-28"))
        self.assertFalse(
            self.env["account.move"].search_count(
                [("carshare_charge_due_at", "!=", False), ("partner_id", "=", self.bob.id)]
            )
        )
