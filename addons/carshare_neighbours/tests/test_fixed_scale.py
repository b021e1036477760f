from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestFixedScale(NeighboursCase):
    """The guide's "Exemple de calcul avec un barème prédéterminé" (page 14).

    Marie owns the car, Françoise and Pierre share it, with a scale of 0.25 EUR per km:

        FRANÇOISE                          PIERRE
        À devoir          Frais engagés    À devoir          Frais engagés
                          à déduire                          à déduire
        2440 km x         Essence 194 €    5320 km x         Essence 521 €
        0,25 €/km         Réparation 75 €  0,25 €/km
        = 610 €           Total 269 €      = 1330 €
        Françoise doit à Marie             Pierre doit à Marie
        610 - 269 = 341 €                  1330 - 521 = 809 €
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marie = cls.member("Marie")
        cls.francoise = cls.member("Françoise")
        cls.pierre = cls.member("Pierre")
        cls.set_owners((cls.marie, 100.0))
        cls.community.write({"neighbours_method": "fixed_scale", "neighbours_km_scale": 0.25})

    def test_guide_example(self):
        self.drive(self.francoise, 2440)
        # The guide does not give Marie's km: as the owner, her own use changes nothing.
        self.drive(self.marie, 1800)
        self.drive(self.pierre, 5320)
        self.pay(self.francoise, "fuel", 194.0)
        self.pay(self.francoise, "repairs", 75.0)
        self.pay(self.pierre, "fuel", 521.0)
        # Tolls stay with the driver and out of the accounts.
        self.pay(self.pierre, "tolls", 38.0)

        settlement = self.settle()

        self.assertLine(settlement, self.francoise, km=2440, amount_due=610.0, amount_paid=269.0)
        self.assertLine(settlement, self.francoise, balance=-341.0)
        self.assertLine(settlement, self.pierre, km=5320, amount_due=1330.0, amount_paid=521.0)
        self.assertLine(settlement, self.pierre, balance=-809.0)
        self.assertLine(settlement, self.marie, balance=341.0 + 809.0)
        self.assertTransfers(
            settlement,
            [(self.francoise, self.marie, 341.0), (self.pierre, self.marie, 809.0)],
        )
        self.assertBalanced(settlement)
        self.assertEqual(settlement.total_km, 2440 + 1800 + 5320)

    def test_owner_expenses_do_not_change_what_drivers_owe(self):
        self.drive(self.francoise, 2440)
        self.drive(self.marie, 1800)
        self.pay(self.francoise, "fuel", 194.0)
        self.pay(self.marie, "insurance", 351.0)

        settlement = self.settle()

        self.assertLine(settlement, self.francoise, balance=-(610.0 - 194.0))
        self.assertLine(settlement, self.marie, balance=610.0 - 194.0)
        self.assertTransfers(settlement, [(self.francoise, self.marie, 416.0)])

    def test_driver_who_paid_more_than_their_km_is_paid_back(self):
        self.drive(self.pierre, 100)
        self.pay(self.pierre, "repairs", 400.0)

        settlement = self.settle()

        self.assertLine(settlement, self.pierre, amount_due=25.0, balance=375.0)
        self.assertTransfers(settlement, [(self.marie, self.pierre, 375.0)])
