from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_payment_stripe.tests.fake_stripe import FakeStripeMixin
from odoo.addons.carshare_reversal.tests.common import CarshareReversalCase

STRIPE_LOGGERS = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)
PAYOUT_DAY = date(2025, 1, 20)


@tagged("post_install", "-at_install")
class TestReversalPayout(FakeStripeMixin, CarshareReversalCase):
    """Two trips charged by card, 8.00 and 5.50: Stripe keeps 1.5 % + 0.25 of each, 0.37 and
    0.33, and pays out 12.80."""

    def setUp(self):
        super().setUp()
        self.fake_stripe.reset()
        self.stripe_token(self.alice)
        for start, hours in ((FRIDAY_9H, 2), (FRIDAY_9H + timedelta(days=2), 3)):
            invoice = self._trip(start, hours).carshare_invoice_ids
            with freeze_time(invoice.carshare_charge_due_at), mute_logger(*STRIPE_LOGGERS):
                invoice._carshare_charge_card()

    def _payout(self):
        with freeze_time(PAYOUT_DAY):
            self.fake_stripe.create_payout()
        return self.env["carshare.stripe.payout"]._carshare_fetch(self.stripe_provider)

    def test_reversal_deducts_the_reconciled_fees(self):
        """Revenue 6.67 (8.00 / 1.2) + 4.58 (5.50 / 1.2) = 11.25 HT, less 1.66 of booking fees
        and 0.70 of Stripe's fees: 8.89 reversed to the owner."""
        statement = self._january_statement("Collectivité")
        payout = self._payout()
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.company_data["default_journal_bank"].id,
                "date": PAYOUT_DAY,
                "payment_ref": "STRIPE PAYOUT",
                "amount": 12.8,
            }
        )
        payout.action_reconcile()
        statement.action_compute()
        self.assertAlmostEqual(statement.revenue_amount, 11.25)
        self.assertAlmostEqual(statement.booking_fee_amount, 1.66)
        self.assertAlmostEqual(statement.stripe_fee_amount, 0.7)
        self.assertAlmostEqual(statement.net_amount, 8.89)
        statement.action_confirm()
        self.assertAlmostEqual(statement.line_ids.move_id.amount_total, 8.89)

    def test_other_company_reads_nothing(self):
        """An accountant of another company reads none of this company's reversal shares and
        statement lines."""
        self._january_statement("Collectivité").action_compute()
        other_company = self.env["res.company"].create({"name": "Autre Collectivité"})
        other = new_test_user(
            self.env,
            "carshare_other_accountant",
            groups="carshare_billing.group_carshare_accountant",
            company_id=other_company.id,
            company_ids=other_company.ids,
        )
        for model in ("carshare.reversal.share", "carshare.reversal.statement.line"):
            self.assertTrue(self.env[model].search_count([]), model)
            self.assertFalse(self.env[model].with_user(other).search_count([]), model)
