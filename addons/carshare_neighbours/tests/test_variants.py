from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestVariants(NeighboursCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.community.neighbours_method = "real_cost"

    def test_some_costs_split_equally_others_by_km(self):
        """Solution alternative n°1: "si Elodie et Emilie font respectivement 3000 km et
        7000 km, elles peuvent décider de payer chacune la moitié de la décote et
        respectivement 30 % et 70 % du carburant." The guide gives no amounts: with a
        depreciation of 1000 EUR and 800 EUR of fuel, Elodie owes 500 + 240 and Emilie
        500 + 560. The car is bought jointly (indivision), half each.
        """
        elodie = self.member("Elodie")
        emilie = self.member("Emilie")
        self.set_owners((elodie, 50.0), (emilie, 50.0))
        self.community.neighbours_equal_type_ids = self.cost_type("depreciation")
        self.drive(elodie, 3000)
        self.drive(emilie, 7000)
        self.pay(elodie, "depreciation", 1000.0)
        self.pay(emilie, "fuel", 800.0)

        settlement = self.settle()

        self.assertLine(settlement, elodie, amount_due=500.0 + 240.0, amount_paid=1000.0)
        self.assertLine(settlement, emilie, amount_due=500.0 + 560.0, amount_paid=800.0)
        self.assertLine(settlement, elodie, balance=260.0)
        self.assertLine(settlement, emilie, balance=-260.0)
        self.assertTransfers(settlement, [(emilie, elodie, 260.0)])

    def test_owner_keeps_all_costs_but_fuel(self):
        """Solution alternative n°2: the owner "peut souhaiter ne pas imputer à ses
        autopartageurs l'ensemble des frais et leur demander de payer seulement l'essence".
        On the guide's real-cost year, Laurent keeps everything but the fuel: the fuel
        (655 + 532 + 315 = 1502 EUR) is split by km, and Catherine's supplies (42 EUR) are paid
        back to her.
        """
        laurent = self.member("Laurent")
        catherine = self.member("Catherine")
        julien = self.member("Julien")
        self.set_owners((laurent, 100.0))
        self.community.neighbours_owner_kept_type_ids = (
            self.cost_type("depreciation")
            | self.cost_type("insurance")
            | self.cost_type("repairs")
            | self.cost_type("supplies")
        )
        self.drive(laurent, 6422)
        self.drive(catherine, 4341)
        self.drive(julien, 2027)
        self.pay(laurent, "depreciation", 940.0)
        self.pay(laurent, "insurance", 351.0)
        self.pay(laurent, "repairs", 235.0)
        self.pay(laurent, "fuel", 655.0)
        self.pay(catherine, "supplies", 42.0)
        self.pay(catherine, "fuel", 532.0)
        self.pay(julien, "fuel", 315.0)

        settlement = self.settle()

        # 1502 x 6422 / 12790 = 754.17; x 4341 / 12790 = 509.79; x 2027 / 12790 = 238.04
        self.assertLine(settlement, catherine, amount_due=509.79, balance=574.0 - 509.79)
        self.assertLine(settlement, julien, amount_due=238.04, balance=315.0 - 238.04)
        kept = 940.0 + 351.0 + 235.0 + 42.0
        self.assertLine(settlement, laurent, amount_due=754.17 + kept)
        self.assertLine(settlement, laurent, balance=2181.0 - 754.17 - kept)
        self.assertTransfers(settlement, [(laurent, julien, 76.96), (laurent, catherine, 64.21)])
        self.assertBalanced(settlement)

    def test_joint_owners_share_what_the_drivers_owe(self):
        """With a fixed scale, joint owners receive the drivers' balance by their shares and
        pay the scale for their own km like everyone."""
        self.community.write({"neighbours_method": "fixed_scale", "neighbours_km_scale": 0.30})
        anna = self.member("Anna")
        bruno = self.member("Bruno")
        carla = self.member("Carla")
        self.set_owners((anna, 60.0), (bruno, 40.0))
        self.drive(anna, 1000)
        self.drive(bruno, 2000)
        self.drive(carla, 1000)
        self.pay(carla, "fuel", 100.0)

        settlement = self.settle()

        # Owed: 300 + 600 + 300 - 100 = 1100, i.e. 660 for Anna and 440 for Bruno.
        self.assertLine(settlement, anna, amount_due=300.0, owner_amount=660.0, balance=360.0)
        self.assertLine(settlement, bruno, amount_due=600.0, owner_amount=440.0, balance=-160.0)
        self.assertLine(settlement, carla, amount_due=300.0, amount_paid=100.0, balance=-200.0)
        self.assertTransfers(settlement, [(carla, anna, 200.0), (bruno, anna, 160.0)])
        self.assertBalanced(settlement)

    def test_shares_add_up_to_the_costs(self):
        """Three equal thirds of 100 EUR are 33.34, 33.33 and 33.33: nothing is lost."""
        self.set_owners((self.member("One"), 100.0))
        for name in ("Two", "Three"):
            self.drive(self.member(name), 100)
        self.drive(self.community.neighbours_owner_ids.partner_id, 100)
        self.pay(self.community.neighbours_owner_ids.partner_id, "insurance", 100.0)

        settlement = self.settle()

        self.assertEqual(sorted(settlement.line_ids.mapped("amount_due")), [33.33, 33.33, 33.34])
        self.assertBalanced(settlement)
