from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestAdvance(NeighboursCase):
    """The guide's "exemple de calcul d'acompte trimestriel" (page 16):

    - Coût estimatif de la voiture : 0,30 € par km
    - Coût du carburant : 1,60 €/litre
    - Consommation du véhicule : 6 litres/100 km, soit 0,096 € par km
    - Coût hors carburant : 0,30 - 0,096 = 0,204 €/km, arrondi à 0,20 €/km
    - Nombre prévisionnel de kilomètres : 4000 km/an, soit 1000 km/trimestre
    - Acompte trimestriel : 0,20 x 1000 = 200 €.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.member("Owner")
        cls.newcomer = cls.member("Newcomer")
        cls.set_owners((cls.owner, 100.0))
        cls.community.write(
            {
                "neighbours_cost_per_km_estimate": 0.30,
                "neighbours_fuel_price": 1.60,
                "neighbours_fuel_consumption": 6.0,
            }
        )
        cls.membership = cls.community.membership_ids.filtered(
            lambda m: m.partner_id == cls.newcomer
        )

    def test_guide_example(self):
        self.membership.neighbours_forecast_km = 4000

        self.assertAlmostEqual(self.community.neighbours_fuel_cost_per_km, 0.096, places=3)
        self.assertAlmostEqual(self.community.neighbours_advance_rate, 0.20, places=2)
        self.assertAlmostEqual(self.membership.neighbours_quarterly_advance, 200.0, places=2)

    def test_defaults_are_the_guide_example(self):
        community = self.env["carshare.community"].create({"name": "New", "kind": "neighbours"})
        self.assertAlmostEqual(community.neighbours_advance_rate, 0.20, places=2)
        self.assertEqual(community.neighbours_period, "monthly")
        self.assertEqual(community.neighbours_method, "fixed_scale")
        self.assertAlmostEqual(community.neighbours_km_scale, 0.33, places=3)

    def test_last_year_km_without_forecast(self):
        today = fields.Date.context_today(self.membership)
        self.drive(self.newcomer, 9000, when=today - relativedelta(months=13))
        self.drive(self.newcomer, 1000, when=today - relativedelta(months=2))
        self.drive(self.newcomer, 500, when=today - relativedelta(months=1))

        self.assertEqual(self.membership.neighbours_km_last_year, 1500)
        self.assertAlmostEqual(self.membership.neighbours_quarterly_advance, 0.20 * 1500 / 4)

    def test_advances_paid_are_deducted_at_the_settlement(self):
        self.membership.neighbours_forecast_km = 4000
        self.community.write({"neighbours_method": "fixed_scale", "neighbours_km_scale": 0.25})
        advance = self.env["carshare.neighbours.advance"].create(
            {
                "community_id": self.community.id,
                "partner_id": self.newcomer.id,
                "date": date(2030, 1, 2),
            }
        )
        self.assertAlmostEqual(advance.amount, 200.0)
        self.drive(self.newcomer, 5320)
        self.pay(self.newcomer, "fuel", 521.0)

        settlement = self.settle()

        self.assertLine(settlement, self.newcomer, amount_due=1330.0, advance_paid=200.0)
        self.assertLine(settlement, self.newcomer, balance=-(1330.0 - 521.0 - 200.0))
        self.assertLine(settlement, self.owner, owner_amount=1330.0 - 521.0 - 200.0)
        self.assertTransfers(settlement, [(self.newcomer, self.owner, 609.0)])
        self.assertBalanced(settlement)
