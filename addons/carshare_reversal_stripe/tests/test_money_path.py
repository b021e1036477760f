from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase
from odoo.addons.carshare_payment_stripe.tests.fake_stripe import FakeStripeMixin

STRIPE_LOGGERS = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)
PAYOUT_DAY = date(2025, 1, 20)


@tagged("post_install", "-at_install")
class TestMoneyPath(FakeStripeMixin, CarshareBillingCase):
    """A resident's booking from the card to the reversal, account by account.

    Alice registers a card and books 3 hours for personal use: 150.00 are held on her card.
    She scratches the car; the trip (4.50 + 1.00 booking fee + 4.00 monthly fee = 9.50 TTC,
    7.92 HT, the VAT rounded on the total) is charged on her card 24 hours after the end; the
    excess (900.00 HT, 1,080.00 TTC) is invoiced; the manager captures 100.00 of the hold
    towards it and Stripe releases the other 50.00. Stripe pays out 109.50 less its fees
    (0.39 + 1.75 = 2.14): 107.36. The community's revenue of January (7.92 HT, paid) less the
    booking fee (0.83) and Stripe's fee of the trip's charge (0.39; the excess is not reversed
    yet, nor its capture's 1.75), 6.70, is reversed 70 / 15 / 15 to the owner, the insurer and
    the platform."""

    def setUp(self):
        super().setUp()
        self.card = self.stripe_token(self.alice)
        self.owner, self.insurer, self.platform = self.env["res.partner"].create(
            [
                {"name": "Département de l'Orne", "is_company": True},
                {"name": "Assureur Mutuel", "is_company": True},
                {"name": "Plateforme Auto", "is_company": True},
            ]
        )
        self.rule = self.env["carshare.reversal.rule"].create(
            {
                "community_id": self.community.id,
                "period": "monthly",
                "date_start": "2025-01-01",
                "share_ids": [
                    Command.create({"partner_id": self.owner.id, "percent": 70}),
                    Command.create({"partner_id": self.insurer.id, "percent": 15}),
                    Command.create({"partner_id": self.platform.id, "percent": 15}),
                ],
            }
        )
        self.bank = self.company_data["default_journal_bank"]
        self.receivable = self.alice.property_account_receivable_id
        self.charges = self.company._carshare_bank_charges_account()
        self.start = self._balances()

    def _balance(self, account, partner=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return round(sum(self.env["account.move.line"].search(domain).mapped("balance")), 2)

    def _accounts(self):
        return {
            "receivable": self.receivable,
            "bank": self.bank.default_account_id,
            "outstanding": self.stripe_provider.journal_id.inbound_payment_method_line_ids[
                :1
            ].payment_account_id
            or self.company.account_journal_payment_debit_account_id,
            "charges": self.charges,
        }

    def _balances(self):
        return {name: self._balance(account) for name, account in self._accounts().items()}

    def _moved(self):
        """How much each account moved since the start of the test."""
        now = self._balances()
        return {name: round(now[name] - self.start[name], 2) for name in now}

    def _intent(self, deposit):
        return self.fake_stripe.get(deposit.hold_transaction_id.provider_reference)

    def _damage(self, booking):
        checkin = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")
        return self.env["carshare.damage"].create(
            {
                "inspection_id": checkin.id,
                "description": "Scratched rear bumper",
                "severity": "moderate",
                "responsible": True,
            }
        )

    def test_a_residents_booking_from_card_to_reversal(self):
        # Confirmation: a hold on the card, nothing in the accounts.
        booking = self._book(FRIDAY_9H, 3)
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "held")
        self.assertEqual(self._intent(deposit)["status"], "requires_capture")
        self.assertEqual(self._intent(deposit)["amount"], 15000)
        self.assertEqual(self._moved(), dict.fromkeys(self.start, 0.0))

        # Return with a responsible damage: the trip and the excess are owed.
        self._drive(booking)
        trip_invoice = booking.carshare_invoice_ids
        self.assertAlmostEqual(trip_invoice.amount_total, 9.5)
        # 9.50 TTC, VAT rounded on the total: 9.50 / 1.2 = 7.9167, 7.92 untaxed.
        self.assertAlmostEqual(trip_invoice.amount_untaxed, 7.92)
        excess = self._damage(booking).carshare_excess_move_id
        self.assertAlmostEqual(excess.amount_total, 1080.0)
        self.assertEqual(self._moved()["receivable"], 1089.5)

        # 24 hours after the end, the trip is charged on the card.
        self.assertEqual(trip_invoice.carshare_charge_due_at, booking.date_end + timedelta(days=1))
        with (
            freeze_time(trip_invoice.carshare_charge_due_at),
            mute_logger(*STRIPE_LOGGERS),
            self._committing_jobs(),
        ):
            self.env["account.move"]._cron_carshare_charge_cards()
        self.assertIn(trip_invoice.payment_state, ("in_payment", "paid"))
        self.assertEqual(self._moved()["receivable"], 1080.0)
        self.assertEqual(self._moved()["outstanding"], 9.5)

        # The manager captures 100.00 of the hold for the excess; Stripe releases the rest.
        capture = deposit.action_capture(100.0, excess, "damage")
        self.assertEqual(deposit.state, "captured")
        intent = self._intent(deposit)
        self.assertEqual(intent["amount_received"], 10000)
        self.assertEqual(intent["charges"]["data"][0]["amount_refunded"], 5000)
        self.assertIn("50.00", booking.message_ids[0].body)
        self.assertEqual(capture.payment_id.amount, 100.0)
        self.assertAlmostEqual(excess.amount_residual, 980.0)
        self.assertEqual(self._moved()["receivable"], 980.0)
        self.assertEqual(self._moved()["outstanding"], 109.5)
        # Its release date passes: nothing more is taken or released.
        with freeze_time(deposit.release_due_at + timedelta(hours=1)):
            self.env["carshare.deposit"]._cron_carshare_deposits()
        self.assertEqual(deposit.state, "captured")
        self.assertEqual(self._intent(deposit)["amount_received"], 10000)

        # Stripe's payout reaches the bank: its fees are a bank charge.
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        payout = self.env["carshare.stripe.payout"]._carshare_fetch(self.stripe_provider)
        self.assertAlmostEqual(payout.gross_amount, 109.5)
        self.assertAlmostEqual(payout.fee_amount, 2.14)
        self.assertAlmostEqual(payout.amount, 107.36)
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank.id,
                "date": PAYOUT_DAY,
                "payment_ref": "STRIPE PAYOUT",
                "amount": 107.36,
            }
        )
        payout.action_reconcile()
        self.assertEqual(trip_invoice.payment_state, "paid")
        self.assertEqual(
            self._moved(),
            {"receivable": 980.0, "bank": 107.36, "outstanding": 0.0, "charges": 2.14},
        )

        # January's reversal: 7.92 - 0.83 - 0.39 = 6.70 (the excess capture's 1.75 fee stays
        # out: the excess is not reversed yet), split 70 / 15 / 15: 4.69, 1.005 rounded half up
        # to 1.01, and the rest, 1.00.
        statement = self.env["carshare.reversal.statement"].create(
            {"rule_id": self.rule.id, "date_from": "2025-01-01", "date_to": "2025-01-31"}
        )
        statement.action_compute()
        self.assertAlmostEqual(statement.revenue_amount, 7.92)
        self.assertAlmostEqual(statement.booking_fee_amount, 0.83)
        self.assertAlmostEqual(statement.stripe_fee_amount, 0.39)
        self.assertAlmostEqual(statement.net_amount, 6.70)
        statement.action_confirm()
        bills = statement.line_ids.move_id
        shares = {bill.partner_id: bill.amount_total for bill in bills}
        self.assertEqual(shares, {self.owner: 4.69, self.insurer: 1.01, self.platform: 1.0})
        for partner, amount in shares.items():
            self.assertEqual(self._balance(partner.property_account_payable_id, partner), -amount)
        self.assertEqual(set(bills.invoice_line_ids.account_id.mapped("account_type")), {"expense"})
        self.assertAlmostEqual(sum(bills.invoice_line_ids.mapped("balance")), 6.70)
        # The excess, partly paid, waits for a later statement; the trip is not reversed twice.
        self.assertNotIn(excess, statement.revenue_line_ids.move_id)
        self.assertEqual(statement.revenue_line_ids.move_id, trip_invoice)
