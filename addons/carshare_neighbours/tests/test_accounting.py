from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestAccounting(NeighboursCase):
    """The guide's real-cost year (see test_real_cost), posted between the members."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.laurent = cls.member("Laurent")
        cls.catherine = cls.member("Catherine")
        cls.julien = cls.member("Julien")
        cls.set_owners((cls.laurent, 100.0))
        cls.community.write({"neighbours_method": "real_cost", "neighbours_post_entries": True})
        cls.drive(cls.laurent, 6422)
        cls.drive(cls.catherine, 4341)
        cls.drive(cls.julien, 2027)
        cls.pay(cls.laurent, "depreciation", 940.0)
        cls.pay(cls.laurent, "insurance", 351.0)
        cls.pay(cls.laurent, "repairs", 235.0)
        cls.pay(cls.laurent, "fuel", 655.0)
        cls.pay(cls.catherine, "supplies", 42.0)
        cls.pay(cls.catherine, "fuel", 532.0)
        cls.pay(cls.julien, "fuel", 315.0)

    def test_entries_between_the_members(self):
        settlement = self.settle()
        settlement.action_done()
        settlement.action_post_entries()

        move = settlement.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.move_type, "entry")
        self.assertEqual(move.journal_id.type, "general")
        self.assertEqual(move.date, settlement.date_to)
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), 467.98 + 171.54)
        self.assertAlmostEqual(sum(move.line_ids.mapped("credit")), 639.52)
        expected = {
            self.catherine: ("property_account_receivable_id", 467.98, 0.0),
            self.julien: ("property_account_receivable_id", 171.54, 0.0),
            self.laurent: ("property_account_payable_id", 0.0, 639.52),
        }
        self.assertEqual(move.line_ids.partner_id, self.catherine | self.julien | self.laurent)
        for partner, (account_field, debit, credit) in expected.items():
            line = move.line_ids.filtered(lambda aml, partner=partner: aml.partner_id == partner)
            self.assertEqual(line.account_id, partner[account_field])
            self.assertAlmostEqual(line.debit, debit)
            self.assertAlmostEqual(line.credit, credit)

    def test_entries_once_and_only_when_settled(self):
        settlement = self.settle()
        with self.assertRefused(UserError, "Settle .* before posting"):
            settlement.action_post_entries()
        settlement.action_done()
        settlement.action_post_entries()
        with self.assertRefused(UserError, "already posted"):
            settlement.action_post_entries()
        with self.assertRefused(UserError, "Cancel the journal entry"):
            settlement.action_draft()
        settlement.move_id.button_draft()
        settlement.move_id.button_cancel()
        settlement.action_draft()
        self.assertEqual(settlement.state, "draft")
        self.assertFalse(settlement.move_id)

    def test_statement(self):
        settlement = self.settle()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("carshare_neighbours.report_settlement", settlement.ids)[0]
            .decode()
        )
        self.assertIn("Catherine", html)
        self.assertIn("owes", html)
        self.assertIn("467.98", html)
