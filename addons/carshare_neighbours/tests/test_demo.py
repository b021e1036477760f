from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    def setUp(self):
        super().setUp()
        self.settlement = self.env.ref(
            "carshare_neighbours.settlement_pilat_last_month", raise_if_not_found=False
        )
        if not self.settlement:
            self.skipTest("demo data not installed")

    def test_pilat_neighbours(self):
        community = self.env.ref("carshare_fleet.community_pilat_neighbours")
        owner = self.env.ref("carshare_fleet.partner_bernard_chapuis")
        self.assertEqual(community.neighbours_owner_ids.partner_id, owner)
        self.assertEqual(community.neighbours_key_holder_id, owner)
        car = self.env.ref("carshare_fleet.vehicle_pilat_208")
        self.assertEqual(car.odometer, 84966)

    def test_last_month_settled_at_the_scale(self):
        settlement = self.settlement
        self.assertEqual(settlement.method, "fixed_scale")
        self.assertEqual(settlement.total_km, 84917 - 84210)
        anne = self.env.ref("carshare_fleet.partner_anne_fayolle")
        lucas = self.env.ref("carshare_fleet.partner_lucas_rivat")
        owner = self.env.ref("carshare_fleet.partner_bernard_chapuis")
        # Anne: 229 km x 0.32 - 58.40 of fuel; Lucas: 261 km x 0.32 - 45.10 (parking excluded).
        self.assertEqual(
            {(t.debtor_id, t.creditor_id, t.amount) for t in settlement.transfer_ids},
            {(anne, owner, 14.88), (lucas, owner, 38.42)},
        )
