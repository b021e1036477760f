from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

RULE_LOGGER = "odoo.addons.carshare_reversal.models.carshare_reversal_rule"


@tagged("post_install", "-at_install")
class TestReversal(CarshareBillingCase):
    """SNCF/OuiCar's split: 70 % to the owner, 15 % to the insurer, 15 % to the platform, after a
    10 % commission of the operator and the platform's booking fees."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner, cls.insurer, cls.platform = cls.env["res.partner"].create(
            [
                {"name": "Département de l'Orne", "is_company": True},
                {"name": "Assureur Mutuel", "is_company": True},
                {"name": "Plateforme Auto", "is_company": True},
            ]
        )
        cls.rule = cls.env["carshare.reversal.rule"].create(
            {
                "community_id": cls.community.id,
                "period": "quarterly",
                "date_start": "2025-01-01",
                "commission_percent": 10.0,
                "share_ids": [
                    Command.create({"partner_id": cls.owner.id, "percent": 70}),
                    Command.create({"partner_id": cls.insurer.id, "percent": 15}),
                    Command.create({"partner_id": cls.platform.id, "percent": 15}),
                ],
            }
        )

    def _pay(self, invoice, day="2025-01-20"):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"payment_date": day})
            ._create_payments()
        )

    def _statement(self, date_from="2025-01-01", date_to="2025-03-31"):
        statement = self.env["carshare.reversal.statement"].create(
            {"rule_id": self.rule.id, "date_from": date_from, "date_to": date_to}
        )
        statement.action_compute()
        return statement

    def _balance(self, account, partner):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(lines.mapped("balance"))

    def test_statement_of_the_paid_revenue(self):
        """A 10 h trip paid: 15.00 + 1.00 + 4.00 = 20.00 TTC, VAT rounded on the total: 20.00 /
        1.2 = 16.67 HT. Less the 0.83 booking fee: 15.84; less 10 % commission (1.58): 14.26,
        shared 9.98 (70 %) / 2.14 (15 %) / 2.14 (the rest). An unpaid trip is left for a later
        statement."""
        paid = self._trip(FRIDAY_9H, 10)
        self._trip(FRIDAY_9H + timedelta(days=3), 2)
        self._pay(paid.carshare_invoice_ids)
        statement = self._statement()
        self.assertTrue(statement.name.startswith("REV/"))
        self.assertAlmostEqual(statement.revenue_amount, 16.67)
        self.assertAlmostEqual(statement.booking_fee_amount, 0.83)
        self.assertAlmostEqual(statement.commission_amount, 1.58)
        self.assertAlmostEqual(statement.net_amount, 14.26)
        self.assertEqual(statement.revenue_line_ids.move_id, paid.carshare_invoice_ids)
        amounts = {line.partner_id: line.amount for line in statement.line_ids}
        self.assertAlmostEqual(amounts[self.owner], 9.98)
        self.assertAlmostEqual(amounts[self.insurer], 2.14)
        self.assertAlmostEqual(amounts[self.platform], 2.14)
        self.assertAlmostEqual(sum(amounts.values()), 14.26)

    def test_confirmation_posts_the_vendor_bills(self):
        """Each beneficiary's bill is posted, untaxed, on its payable account; the revenue it
        reverses is not reversed again by the next statement."""
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        statement.action_confirm()
        self.assertEqual(statement.state, "confirmed")
        bills = statement.line_ids.move_id
        self.assertEqual(len(bills), 3)
        self.assertEqual(set(bills.mapped("move_type")), {"in_invoice"})
        self.assertEqual(set(bills.mapped("state")), {"posted"})
        self.assertAlmostEqual(sum(bills.mapped("amount_total")), 14.26)
        self.assertFalse(bills.line_ids.tax_ids)
        owner_bill = bills.filtered(lambda m: m.partner_id == self.owner)
        self.assertAlmostEqual(owner_bill.amount_total, 9.98)
        payable = self.owner.property_account_payable_id
        self.assertAlmostEqual(self._balance(payable, self.owner), -9.98)
        expense = owner_bill.invoice_line_ids.account_id
        self.assertAlmostEqual(sum(bills.invoice_line_ids.mapped("balance")), 14.26)
        self.assertEqual(expense.account_type, "expense")
        self.assertEqual(
            trip.carshare_invoice_ids.invoice_line_ids.filtered("product_id").mapped(
                "carshare_reversal_statement_id"
            ),
            statement,
        )
        later = self._statement("2025-04-01", "2025-06-30")
        self.assertFalse(later.revenue_line_ids)
        with self.assertRaises(UserError):
            later.action_confirm()
        self.assertEqual(later.state, "draft")
        self.assertFalse(later.line_ids.move_id)

    def _account(self, code):
        return self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(self.company), ("code", "=", code)]
        )

    def test_vat_per_beneficiary(self):
        """The owner and the platform are VAT-registered, the insurer's share is exempt (art.
        261 C CGI): its tax is cleared and it goes to 616100. Net 14.26 as above: the owner's
        bill 9.98 (9.982) + 20 % (1.996) = 11.98, the insurer's 2.14 (2.139), the platform's the
        rest, 14.26 - 9.98 - 2.14 = 2.14, + 20 % (0.428) = 2.57; the others on 613500 (movable
        property rental)."""
        self.owner.vat = "FR74214401093"
        self.platform.vat = "FR40303265045"
        self.insurer.vat = "FR13542107651"
        shares = {share.partner_id: share for share in self.rule.share_ids}
        shares[self.owner]._compute_tax_ids()
        shares[self.platform]._compute_tax_ids()
        shares[self.insurer].write(
            {"tax_ids": [Command.clear()], "account_id": self._account("616100").id}
        )
        vat = self.company.account_purchase_tax_id
        self.assertEqual(vat.amount, 20)
        self.assertEqual(shares[self.owner].tax_ids, vat)
        self.assertEqual(shares[self.platform].tax_ids, vat)
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        statement.action_confirm()
        bills = {line.partner_id: line.move_id for line in statement.line_ids}
        expected = {
            self.owner: (9.98, 2.0, 11.98, "613500"),
            self.insurer: (2.14, 0.0, 2.14, "616100"),
            self.platform: (2.14, 0.43, 2.57, "613500"),
        }
        for partner, (untaxed, tax, total, code) in expected.items():
            bill = bills[partner]
            self.assertAlmostEqual(bill.amount_untaxed, untaxed, msg=partner.name)
            self.assertAlmostEqual(bill.amount_tax, tax, msg=partner.name)
            self.assertAlmostEqual(bill.amount_total, total, msg=partner.name)
            self.assertEqual(bill.invoice_line_ids.account_id.code, code, partner.name)

    def test_vat_defaults_on_the_partners_vat_status(self):
        """A beneficiary without VAT number bills no VAT; with one, the company's purchase
        tax."""
        share = self.rule.share_ids.filtered(lambda s: s.partner_id == self.owner)
        self.assertFalse(share.tax_ids)
        self.owner.vat = "FR74214401093"
        share.partner_id = self.platform
        share.partner_id = self.owner
        self.assertEqual(share.tax_ids, self.company.account_purchase_tax_id)

    def test_done_once_the_bills_are_paid(self):
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        statement.action_confirm()
        with self.assertRaises(UserError):
            statement.action_done()
        for bill in statement.line_ids.move_id:
            self._pay(bill, "2025-04-10")
        statement.action_done()
        self.assertEqual(statement.state, "done")

    def test_settled_by_payments(self):
        """Each beneficiary's bill is posted and paid at once from the bank journal: the payable
        nets to 0, the expense holds the 15.84 reversed (16.67 HT less the 0.83 booking fee)
        and the bank's outstanding payments account -15.84 until the bank statement."""
        bank = self.company_data["default_journal_bank"]
        self.rule.write({"settlement": "payment", "journal_id": bank.id, "commission_percent": 0})
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        statement.action_confirm()
        payments = statement.line_ids.payment_id
        self.assertEqual(len(payments), 3)
        self.assertEqual(set(payments.mapped("payment_type")), {"outbound"})
        self.assertEqual(set(payments.mapped("journal_id")), {bank})
        self.assertEqual(set(payments.mapped("state")) - {"in_process", "paid"}, set())
        self.assertAlmostEqual(sum(payments.mapped("amount")), 15.84)
        bills = statement.line_ids.move_id
        self.assertEqual(len(bills), 3)
        self.assertEqual(set(bills.mapped("journal_id.type")), {"purchase"})
        self.assertEqual(set(bills.mapped("payment_state")) - {"in_payment", "paid"}, set())
        for partner in (self.owner, self.insurer, self.platform):
            payable = partner.property_account_payable_id
            self.assertAlmostEqual(self._balance(payable, partner), 0.0)
        expense = bills.invoice_line_ids.account_id
        self.assertEqual(expense.account_type, "expense")
        expense_lines = self.env["account.move.line"].search(
            [("account_id", "=", expense.id), ("move_id", "in", bills.ids)]
        )
        self.assertAlmostEqual(sum(expense_lines.mapped("balance")), 15.84)
        outstanding = payments.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type != "liability_payable"
        )
        self.assertEqual(len(outstanding.account_id), 1)
        self.assertAlmostEqual(sum(outstanding.mapped("balance")), -15.84)
        statement.action_done()
        self.assertEqual(statement.state, "done")

    def test_revenue_before_the_rule_start_not_reversed(self):
        """The rule starts on 15 January: the trip invoiced on the 10th (with the monthly fee)
        is not swept by the first statement, the one of the 17th (12.50 + 0.83 HT) is."""
        self.rule.date_start = "2025-01-15"
        before = self._trip(FRIDAY_9H, 10)
        after = self._trip(FRIDAY_9H + timedelta(days=7), 10)
        self._pay(before.carshare_invoice_ids)
        self._pay(after.carshare_invoice_ids)
        statement = self._statement()
        self.assertEqual(statement.revenue_line_ids.move_id, after.carshare_invoice_ids)
        self.assertAlmostEqual(statement.revenue_amount, 13.33)

    def test_booking_fees_reversed_when_not_kept(self):
        self.rule.write({"deduct_booking_fee": False, "commission_percent": 0})
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        self.assertAlmostEqual(statement.booking_fee_amount, 0.0)
        self.assertAlmostEqual(statement.net_amount, 16.67)

    def test_booking_fee_on_its_own_account(self):
        account = self.env["account.account"].create(
            {"name": "Booking fees", "code": "706900", "account_type": "income"}
        )
        self.company.carshare_booking_fee_account_id = account
        trip = self._trip(FRIDAY_9H, 2)
        line = trip.carshare_invoice_ids.invoice_line_ids.filtered(
            lambda aml: aml.carshare_component == "booking_fee"
        )
        self.assertEqual(line.account_id, account)
        self.assertAlmostEqual(-sum(line.mapped("balance")), 0.83)

    def test_credit_note_lowers_the_revenue(self):
        trip = self._trip(FRIDAY_9H, 10)
        invoice = trip.carshare_invoice_ids
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Wrong", "journal_id": invoice.journal_id.id})
        )
        reversal.reverse_moves()
        statement = self._statement()
        self.assertAlmostEqual(statement.revenue_amount, 0.0)
        with self.assertRaises(UserError):
            statement.action_confirm()

    # -- refusals --------------------------------------------------------------------------------

    def test_refuses_shares_not_adding_up(self):
        with self.assertRaisesRegex(ValidationError, "100"):
            self.rule.write(
                {"share_ids": [Command.update(self.rule.share_ids[0].id, {"percent": 60})]}
            )
        other = self.env["carshare.community"].create(
            {"name": "Other", "company_id": self.company.id}
        )
        with self.assertRaises(ValidationError):
            self.env["carshare.reversal.rule"].create(
                {
                    "community_id": other.id,
                    "share_ids": [Command.create({"partner_id": self.owner.id, "percent": 70})],
                }
            )
        with self.assertRaises(ValidationError):
            self.rule.commission_percent = 120

    def test_refuses_overlapping_statements(self):
        self._statement()
        with self.assertRaises(ValidationError):
            self._statement("2025-03-01", "2025-05-31")
        self.assertEqual(
            self.env["carshare.reversal.statement"].search_count(
                [("community_id", "=", self.community.id)]
            ),
            1,
        )

    def test_refuses_confirming_twice_or_empty(self):
        empty = self._statement()
        with self.assertRaisesRegex(UserError, "nothing to reverse"):
            empty.action_confirm()
        self.assertEqual(empty.state, "draft")
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        empty.action_confirm()
        with self.assertRaisesRegex(UserError, "already confirmed"):
            empty.action_confirm()
        self.assertEqual(len(empty.line_ids.move_id), 3)
        with self.assertRaises(UserError):
            empty.unlink()

    def test_confirm_reads_the_state_again_once_locked(self):
        """Another transaction confirmed the statement meanwhile: confirming it again posts
        nothing."""
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        self.assertEqual(statement.state, "draft")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE carshare_reversal_statement SET state = 'confirmed' WHERE id = %s",
            [statement.id],
        )
        with self.assertRaisesRegex(UserError, "already confirmed"):
            statement.action_confirm()
        self.assertFalse(statement.line_ids.move_id)

    # -- periods and cron ------------------------------------------------------------------------

    def test_periods(self):
        rule = self.rule
        self.assertEqual(
            rule._last_ended_period(date(2025, 4, 1)), (date(2025, 1, 1), date(2025, 3, 31))
        )
        rule.period = "monthly"
        self.assertEqual(
            rule._last_ended_period(date(2025, 3, 1)), (date(2025, 2, 1), date(2025, 2, 28))
        )
        rule.period = "fortnightly"
        self.assertEqual(
            rule._last_ended_period(date(2025, 3, 16)), (date(2025, 3, 1), date(2025, 3, 15))
        )
        self.assertEqual(
            rule._last_ended_period(date(2025, 3, 10)), (date(2025, 2, 16), date(2025, 2, 28))
        )

    def test_cron_creates_each_period_once(self):
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        Statement = self.env["carshare.reversal.statement"]
        with freeze_time("2025-04-01 03:00:00"):
            self.env["carshare.reversal.rule"]._cron_create_statements()
            self.env["carshare.reversal.rule"]._cron_create_statements()
        statement = Statement.search([("community_id", "=", self.community.id)])
        self.assertEqual(len(statement), 1)
        self.assertEqual(
            (statement.date_from, statement.date_to), (date(2025, 1, 1), date(2025, 3, 31))
        )
        self.assertAlmostEqual(statement.net_amount, 14.26)

    def test_cron_period_ends_in_the_communitys_time_zone(self):
        """At 23:30 UTC on 31 March it is already 1 April in Paris: the first quarter has
        ended for the community, whatever the cron user's time zone."""
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        self.env.user.tz = "UTC"
        Statement = self.env["carshare.reversal.statement"]
        with freeze_time("2025-03-31 21:30:00"):
            self.env["carshare.reversal.rule"]._cron_create_statements()
        self.assertFalse(Statement.search([("community_id", "=", self.community.id)]))
        with freeze_time("2025-03-31 23:30:00"):
            self.env["carshare.reversal.rule"]._cron_create_statements()
        statement = Statement.search([("community_id", "=", self.community.id)])
        self.assertEqual(
            (statement.date_from, statement.date_to), (date(2025, 1, 1), date(2025, 3, 31))
        )

    def test_cron_failing_rule_does_not_stop_the_others(self):
        other_community = self.env["carshare.community"].create(
            {"name": "Other", "company_id": self.company.id}
        )
        other_rule = self.env["carshare.reversal.rule"].create(
            {
                "community_id": other_community.id,
                "period": "quarterly",
                "date_start": "2025-01-01",
                "share_ids": [Command.create({"partner_id": self.owner.id, "percent": 100})],
            }
        )
        Rule = type(self.rule)
        original = Rule._create_last_statement

        def failing(rule):
            if rule == self.rule:
                raise ValueError("Beneficiary archived")
            return original(rule)

        with (
            freeze_time("2025-04-01 03:00:00"),
            patch.object(Rule, "_create_last_statement", failing),
            self.assertLogs(RULE_LOGGER, "ERROR") as logs,
        ):
            self.env["carshare.reversal.rule"]._cron_create_statements()
        self.assertIn(self.rule.display_name, logs.output[0])
        Statement = self.env["carshare.reversal.statement"]
        self.assertFalse(Statement.search([("rule_id", "=", self.rule.id)]))
        self.assertEqual(len(Statement.search([("rule_id", "=", other_rule.id)])), 1)

    def test_report(self):
        trip = self._trip(FRIDAY_9H, 10)
        self._pay(trip.carshare_invoice_ids)
        statement = self._statement()
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "carshare_reversal.report_reversal_statement", statement.ids
        )
        self.assertIn(statement.name, html.decode())
        self.assertIn("Assureur Mutuel", html.decode())
