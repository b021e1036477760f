from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestBadInput(NeighboursCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.member("Owner")
        cls.driver = cls.member("Driver")
        cls.set_owners((cls.owner, 100.0))

    def test_negative_or_zero_expense(self):
        with self.assertRefused(ValidationError, "amount above zero"):
            self.pay(self.driver, "fuel", -45.0)
        with self.assertRefused(ValidationError, "amount above zero"):
            self.pay(self.driver, "fuel", 0.0)

    def test_period_without_km(self):
        self.pay(self.driver, "fuel", 45.0)
        with self.assertRefused(UserError, "No km were logged"):
            self.settle()

    def test_owner_shares_must_total_100(self):
        other = self.member("Joint Owner")
        with self.assertRefused(ValidationError, r"add up to 90\.0 %"):
            self.set_owners((self.owner, 50.0), (other, 40.0))
        with self.assertRefused(ValidationError, r"add up to 110\.0 %"):
            self.set_owners((self.owner, 50.0), (other, 60.0))
        self.set_owners((self.owner, 50.0), (other, 50.0))
        first = self.community.neighbours_owner_ids[:1]
        with self.assertRefused(ValidationError, r"add up to 120\.0 %"):
            self.community.neighbours_owner_ids = [Command.update(first.id, {"share": 70.0})]

    def test_settlement_checks_owner_shares(self):
        """A share changed on its own line is caught when the accounts are computed."""
        other = self.member("Joint Owner")
        self.set_owners((self.owner, 50.0), (other, 50.0))
        self.community.neighbours_owner_ids[:1].share = 70.0
        self.drive(self.driver, 10)
        with self.assertRefused(ValidationError, r"add up to 120\.0 %"):
            self.settle()

    def test_period_ends_before_it_starts(self):
        self.drive(self.driver, 10)
        with self.assertRefused(ValidationError, "before it starts"):
            self.settle(date(2030, 3, 31), date(2030, 3, 1))

    def test_overlapping_settlements(self):
        self.drive(self.driver, 10)
        self.settle(date(2030, 1, 1), date(2030, 1, 31))
        with self.assertRefused(ValidationError, "already covers part of this period"):
            self.settle(date(2030, 1, 15), date(2030, 2, 15))

    def test_community_without_owner(self):
        self.community.neighbours_owner_ids = [Command.clear()]
        self.drive(self.driver, 10)
        with self.assertRefused(UserError, "Who owns the car"):
            self.settle()

    def test_not_a_member(self):
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        with self.assertRefused(ValidationError, "is not a member"):
            self.drive(stranger, 10)
        with self.assertRefused(ValidationError, "is not a member"):
            self.pay(stranger, "fuel", 20.0)

    def test_settled_period_is_frozen(self):
        self.drive(self.driver, 10)
        settlement = self.settle()
        settlement.action_done()
        with self.assertRefused(UserError, "reset it to draft"):
            settlement.action_compute()
        with self.assertRefused(UserError, "stays on record"):
            settlement.unlink()
