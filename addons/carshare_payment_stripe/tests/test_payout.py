from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

from .fake_stripe import FakeStripeMixin

STRIPE_LOGGERS = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)
PAYOUT_DAY = date(2025, 1, 20)
PAYOUT_LOGGER = "odoo.addons.carshare_payment_stripe.models.carshare_stripe_payout"


@tagged("post_install", "-at_install")
class TestPayout(FakeStripeMixin, CarshareBillingCase):
    """Two trips charged by card, 8.00 and 5.50: Stripe keeps 1.5 % + 0.25 of each, 0.37 and
    0.33, and pays out 12.80."""

    def setUp(self):
        super().setUp()
        self.fake_stripe.reset()
        self.stripe_token(self.alice)
        self.invoices = self.env["account.move"]
        for start, hours in ((FRIDAY_9H, 2), (FRIDAY_9H + timedelta(days=2), 3)):
            booking = self._trip(start, hours)
            invoice = booking.carshare_invoice_ids
            with freeze_time(invoice.carshare_charge_due_at), mute_logger(*STRIPE_LOGGERS):
                invoice._carshare_charge_card()
            self.invoices |= invoice
        self.bank = self.company_data["default_journal_bank"]

    def _payout(self):
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        return self.env["carshare.stripe.payout"]._carshare_fetch(self.stripe_provider)

    def _bank_line(self, amount, day=PAYOUT_DAY):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank.id,
                "date": day,
                "payment_ref": "STRIPE PAYOUT",
                "amount": amount,
            }
        )

    def _balance(self, account):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        )
        return sum(lines.mapped("balance"))

    def test_payout_fetched_with_stripes_fees(self):
        payout = self._payout()
        self.assertEqual(len(payout), 1)
        self.assertEqual(payout.arrival_date, PAYOUT_DAY)
        self.assertAlmostEqual(payout.gross_amount, 13.5)
        self.assertAlmostEqual(payout.fee_amount, 0.7)
        self.assertAlmostEqual(payout.amount, 12.8)
        self.assertEqual(sorted(payout.line_ids.mapped("fee")), [0.33, 0.37])
        self.assertEqual(payout.payment_ids, self.invoices.transaction_ids.payment_id)
        self.assertEqual(payout.line_ids.community_id, self.community)
        self.assertFalse(self.env["carshare.stripe.payout"]._carshare_fetch(self.stripe_provider))
        methods = {request[0] for request in self.fake_stripe.requests if "payouts" in request[1]}
        self.assertEqual(methods, {"GET"})

    def test_reconciliation_books_the_fee_as_bank_charge(self):
        """The bank receives 12.80: 0.70 on 627800, the outstanding receipts of both payments
        (13.50) settled, the statement line reconciled."""
        payout = self._payout()
        payments = payout.payment_ids
        outstanding = payments[0]._seek_for_lines()[0].account_id
        charges = self.company._carshare_bank_charges_account()
        self.assertEqual(charges.code, "627800")
        outstanding_before = self._balance(outstanding)
        bank_before = self._balance(self.bank.default_account_id)
        line = self._bank_line(12.8)
        payout.action_reconcile()
        self.assertEqual(payout.state, "reconciled")
        self.assertEqual(payout.statement_line_id, line)
        self.assertTrue(line.is_reconciled)
        self.assertAlmostEqual(self._balance(charges), 0.7)
        self.assertAlmostEqual(self._balance(self.bank.default_account_id) - bank_before, 12.8)
        self.assertAlmostEqual(self._balance(outstanding) - outstanding_before, -13.5)
        for payment in payments:
            self.assertTrue(payment._seek_for_lines()[0].reconciled)
        self.assertEqual(set(self.invoices.mapped("payment_state")), {"paid"})

    def test_stripe_fees_on_6278(self):
        self.assertEqual(self.company._carshare_bank_charges_account().code, "627800")

    def test_refusals(self):
        payout = self._payout()
        wrong = self._bank_line(12.0)
        with self.assertRaisesRegex(UserError, "is of 12.0, the payout .* of 12.8"):
            payout.action_reconcile(wrong)
        self.assertEqual(payout.state, "draft")
        self.assertFalse(wrong.is_reconciled)
        with self.assertRaisesRegex(UserError, "No bank statement line of 12.8 around"):
            payout.action_reconcile()
        self._bank_line(12.8)
        payout.action_reconcile()
        with self.assertRaisesRegex(UserError, "is already reconciled"):
            payout.action_reconcile()

    def test_payment_without_journal_entry_refused(self):
        """A payment whose method has no outstanding account has no entry to settle: the
        accountant is told which payment method to configure."""
        payout = self._payout()
        payment = payout.payment_ids[0]
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_payment SET move_id = NULL WHERE id = %s", [payment.id])
        payment.invalidate_recordset(["move_id"])
        line = self._bank_line(12.8)
        method = payment.payment_method_line_id.name
        with self.assertRaisesRegex(UserError, f"no journal entry.*payment method {method}"):
            payout.action_reconcile(line)
        self.assertEqual(payout.state, "draft")
        self.assertFalse(line.is_reconciled)

    # -- fetching --------------------------------------------------------------------------------

    def test_cron_fetches_the_payouts(self):
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        Payout = self.env["carshare.stripe.payout"]
        self.env.ref(
            "carshare_payment_stripe.ir_cron_carshare_stripe_payouts"
        ).method_direct_trigger()
        payout = Payout.search([("provider_id", "=", self.stripe_provider.id)])
        self.assertEqual(len(payout), 1)
        self.assertAlmostEqual(payout.amount, 12.8)
        Payout._cron_carshare_fetch()
        self.assertEqual(Payout.search_count([("provider_id", "=", self.stripe_provider.id)]), 1)

    def test_cron_logs_a_failing_payout_and_goes_on(self):
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        Payout = self.env["carshare.stripe.payout"]
        with (
            patch.object(
                type(Payout), "_carshare_create_from_stripe", side_effect=UserError("Stripe down")
            ),
            self.assertLogs(PAYOUT_LOGGER, "ERROR") as logs,
        ):
            Payout._cron_carshare_fetch()
        self.assertIn("storing the Stripe payout", logs.output[0])
        self.assertFalse(Payout.search([("provider_id", "=", self.stripe_provider.id)]))
        Payout._cron_carshare_fetch()
        self.assertTrue(Payout.search([("provider_id", "=", self.stripe_provider.id)]))

    def test_accountant_fetches_from_the_menu(self):
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        accountant = new_test_user(
            self.env,
            "carshare_payout_accountant",
            groups="carshare_billing.group_carshare_accountant",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        Payout = self.env["carshare.stripe.payout"].with_user(accountant)
        action = Payout.action_carshare_fetch()
        self.assertEqual(action["res_model"], "carshare.stripe.payout")
        payout = Payout.search([])
        self.assertEqual(len(payout), 1)
        self.assertAlmostEqual(payout.fee_amount, 0.7)
        server_action = self.env.ref("carshare_payment_stripe.action_carshare_stripe_payout_fetch")
        self.assertIn(
            self.env.ref("carshare_billing.group_carshare_accountant"), server_action.groups_id
        )

    # -- multi-company ---------------------------------------------------------------------------

    def test_other_company_reads_nothing(self):
        """An accountant of another company reads none of this company's payout lines and Stripe
        events."""
        self._payout()
        self.env["carshare.stripe.event"].sudo()._carshare_record(
            {"id": "evt_test_company", "type": "payout.paid", "data": {"object": {"id": "po_1"}}},
            self.stripe_provider,
        )
        other_company = self.env["res.company"].create({"name": "Autre Collectivité"})
        other = new_test_user(
            self.env,
            "carshare_other_accountant",
            groups="carshare_billing.group_carshare_accountant",
            company_id=other_company.id,
            company_ids=other_company.ids,
        )
        for model in (
            "carshare.stripe.payout.line",
            "carshare.stripe.event",
        ):
            self.assertTrue(self.env[model].search_count([]), model)
            self.assertFalse(self.env[model].with_user(other).search_count([]), model)
        event = self.env["carshare.stripe.event"].search([("event_id", "=", "evt_test_company")])
        self.assertEqual(event.company_id, self.company)

    def test_unknown_charge_refused(self):
        """A charge Stripe paid out that Odoo has no payment for: nothing is reconciled."""
        customer = self.fake_stripe.add_customer("Stranger")
        card = self.fake_stripe.add_card(customer)
        self.fake_stripe.handle(
            "POST",
            "/v1/payment_intents",
            {
                "amount": "1000",
                "currency": "eur",
                "customer": customer,
                "payment_method": card,
                "confirm": "True",
            },
            f"Bearer {self.stripe_secret_key}",
        )
        payout = self._payout()
        line = self._bank_line(payout.amount)
        with self.assertRaisesRegex(UserError, "No posted payment"):
            payout.action_reconcile(line)
        self.assertFalse(line.is_reconciled)
