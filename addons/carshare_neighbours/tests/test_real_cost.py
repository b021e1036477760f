from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestRealCost(NeighboursCase):
    """The guide's "Exemple de calcul avec le coût kilométrique réel" (page 15).

    Laurent owns the car, Catherine and Julien share it; the costs are split by km:

        1) Dépenses engagées                                  Kilomètres réalisés
        LAURENT                  CATHERINE          JULIEN     LAURENT  CATHERINE  JULIEN
        Baisse de la valeur      Fournitures 42 €   Essence    6422 km  4341 km    2027 km
        argus 940 €              Essence 532 €      315 €
        Assurance 351 €          Total 574 €        Total 315 €
        Réparations 235 €
        Essence 655 €
        Total 2181 €             Total 3070 €                  Total 12 790 km
        Coût kilométrique moyen = 3 070 / 12 790 = 0,24 € par km

        2) Solde de chacun
        LAURENT                  CATHERINE                 JULIEN
        6422 x 0,24 = 1541 €     4341 x 0,24 = 1042 €      2027 x 0,24 = 487 €
        Payé 2181 €              Payé 574 €                Payé 315 €
        Solde 2181 - 1541 = 640  Solde 574 - 1042 = -468   Solde 315 - 487 = -172
        Catherine doit 468 € à Laurent, Julien doit 172 € à Laurent

    How the figures are read: 2027 x 0.24 is 486.48, which the guide would print 486, yet it
    prints 487; 2027 x 3070 / 12790 = 486.54 gives 487. The guide multiplies by the unrounded
    cost per km (0.240031...) and rounds each share to the euro: 1541.48 -> 1541,
    1041.98 -> 1042, 486.54 -> 487, which add up to 3070. The community's "round shares to"
    set to 1.00 reproduces it; with cents, the shares are 1541.48, 1041.98 and 486.54.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.laurent = cls.member("Laurent")
        cls.catherine = cls.member("Catherine")
        cls.julien = cls.member("Julien")
        cls.set_owners((cls.laurent, 100.0))
        cls.community.neighbours_method = "real_cost"

    @classmethod
    def log_guide_year(cls):
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

    def test_guide_example_to_the_euro(self):
        self.community.neighbours_rounding = 1.0
        self.log_guide_year()

        settlement = self.settle()

        self.assertEqual(settlement.total_km, 12790)
        self.assertAlmostEqual(settlement.total_cost, 3070.0)
        self.assertAlmostEqual(settlement.cost_per_km, 0.24, places=2)
        self.assertLine(settlement, self.laurent, km=6422, amount_due=1541.0, amount_paid=2181.0)
        self.assertLine(settlement, self.laurent, balance=640.0)
        self.assertLine(settlement, self.catherine, km=4341, amount_due=1042.0, amount_paid=574.0)
        self.assertLine(settlement, self.catherine, balance=-468.0)
        self.assertLine(settlement, self.julien, km=2027, amount_due=487.0, amount_paid=315.0)
        self.assertLine(settlement, self.julien, balance=-172.0)
        self.assertTransfers(
            settlement,
            [(self.catherine, self.laurent, 468.0), (self.julien, self.laurent, 172.0)],
        )
        self.assertBalanced(settlement)

    def test_guide_example_to_the_cent(self):
        self.log_guide_year()

        settlement = self.settle()

        self.assertAlmostEqual(settlement.cost_per_km, 3070 / 12790, places=4)
        self.assertLine(settlement, self.laurent, amount_due=1541.48, balance=639.52)
        self.assertLine(settlement, self.catherine, amount_due=1041.98, balance=-467.98)
        self.assertLine(settlement, self.julien, amount_due=486.54, balance=-171.54)
        self.assertTransfers(
            settlement,
            [(self.catherine, self.laurent, 467.98), (self.julien, self.laurent, 171.54)],
        )
        self.assertBalanced(settlement)

    def test_guide_yearly_cost_per_km(self):
        """Page 14: "Cette année, nous avons fait au total 12 200 km et la voiture nous a coûté
        3 476 €. Chacun paiera 3416 / 12 200 = 0,28 € par km effectué."

        The OCR reads 3 476 € in the sentence and 3416 in the division; both give 0.28 EUR per km
        (0.2849 and 0.2800): the yearly cost is taken as 3 476 €, the amount stated first.
        """
        self.drive(self.laurent, 7000)
        self.drive(self.julien, 5200)
        self.pay(self.laurent, "depreciation", 3476.0)

        settlement = self.settle()

        self.assertEqual(settlement.total_km, 12200)
        self.assertAlmostEqual(round(settlement.cost_per_km, 2), 0.28)
        self.assertBalanced(settlement)

    def test_tolls_parking_and_fines_stay_with_the_driver(self):
        self.log_guide_year()
        self.pay(self.julien, "tolls", 23.4)
        self.pay(self.julien, "parking", 4.5)
        self.pay(self.catherine, "fines", 135.0)

        settlement = self.settle()

        self.assertAlmostEqual(settlement.total_cost, 3070.0)
        self.assertLine(settlement, self.julien, amount_paid=315.0, balance=-171.54)
        self.assertLine(settlement, self.catherine, amount_paid=574.0, balance=-467.98)
