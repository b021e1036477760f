import base64

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import PERIOD_END, PERIOD_START, NeighboursCase


@tagged("post_install", "-at_install")
class TestSecurity(NeighboursCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.member("Owner")
        cls.driver = cls.member("Driver")
        cls.set_owners((cls.owner, 100.0))
        cls.user = new_test_user(
            cls.env, "neighbours_user", groups="carshare_fleet.group_carshare_user"
        )
        cls.manager = new_test_user(
            cls.env, "neighbours_manager", groups="carshare_fleet.group_carshare_manager"
        )
        company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = new_test_user(
            cls.env,
            "neighbours_user_b",
            groups="carshare_fleet.group_carshare_user",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )

    def test_user_logs_trips_and_expenses_with_receipts(self):
        env = self.env(user=self.user)
        trip = env["carshare.neighbours.trip"].create(
            {
                "community_id": self.community.id,
                "partner_id": self.driver.id,
                "odometer_start": 20000,
                "odometer_end": 20035,
            }
        )
        expense = env["carshare.neighbours.expense"].create(
            {
                "community_id": self.community.id,
                "partner_id": self.driver.id,
                "cost_type_id": self.cost_type("fuel").id,
                "amount": 48.3,
                "attachment_ids": [
                    Command.create(
                        {"name": "receipt.txt", "datas": base64.b64encode(b"Fuel 48.30 EUR")}
                    )
                ],
            }
        )
        self.assertEqual(trip.distance_km, 35)
        self.assertEqual(expense.attachment_ids.name, "receipt.txt")
        with self.assertRaises(AccessError):
            trip.odometer_end = 20050
        with self.assertRaises(AccessError):
            expense.unlink()

    def test_only_managers_settle(self):
        self.drive(self.driver, 100)
        with self.assertRaises(AccessError):
            self.env["carshare.neighbours.settlement"].with_user(self.user).create(
                {"community_id": self.community.id}
            )
        settlement = (
            self.env["carshare.neighbours.settlement"]
            .with_user(self.manager)
            .create(
                {
                    "community_id": self.community.id,
                    "date_from": PERIOD_START,
                    "date_to": PERIOD_END,
                }
            )
        )
        settlement.action_compute()
        self.assertEqual(settlement.transfer_ids.debtor_id, self.driver)
        self.assertEqual(
            settlement.with_user(self.user).line_ids.partner_id, self.owner | self.driver
        )

    def test_other_companies_see_nothing(self):
        self.drive(self.driver, 100)
        self.pay(self.driver, "fuel", 20.0)
        self.settle()
        for model in (
            "carshare.neighbours.owner",
            "carshare.neighbours.trip",
            "carshare.neighbours.expense",
            "carshare.neighbours.settlement",
            "carshare.neighbours.settlement.line",
            "carshare.neighbours.transfer",
        ):
            self.assertTrue(self.env[model].with_user(self.user).search([]), model)
            self.assertFalse(self.env[model].with_user(self.user_b).search([]), model)
