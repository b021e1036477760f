from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    def setUp(self):
        super().setUp()
        self.autofree = self.env.ref(
            "carshare_fleet.community_autofree61", raise_if_not_found=False
        )
        if not self.autofree:
            self.skipTest("demo data not installed")

    def test_autofree61(self):
        self.assertEqual(self.autofree.kind, "public_body")
        self.assertEqual(len(self.autofree.station_ids), 7)
        self.assertEqual(len(self.autofree.vehicle_ids), 29)
        self.assertEqual(self.autofree.station_ids.vehicle_ids, self.autofree.vehicle_ids)
        self.assertEqual(set(self.autofree.station_ids.mapped("tz")), {"Europe/Paris"})
        self.assertEqual(
            self.autofree.priority_calendar_id,
            self.env.ref("carshare_fleet.calendar_orne_office_hours"),
        )
        self.assertEqual(
            set(self.autofree.vehicle_ids.mapped("model_id.name")), {"Zoé E-Tech", "Kangoo E-Tech"}
        )

    def test_demo_drivers(self):
        memberships = self.autofree.membership_ids
        self.assertEqual(set(memberships.mapped("audience")), {"agent", "resident", "employee"})
        # The demo's two employers: a public body invoiced through Chorus Pro, a company by SEPA.
        self.assertEqual(
            memberships.filtered(lambda m: m.audience == "employee").employer_id,
            self.env.ref("carshare_fleet.partner_cu_alencon")
            | self.env.ref("carshare_fleet.partner_bocage_logistique"),
        )
        self.assertEqual(
            memberships.filtered(lambda m: m.state == "suspended").partner_id.name, "Sophie Martin"
        )
        self.assertTrue(self.env.ref("carshare_fleet.partner_claire_lemoine").carshare_eligible)
        expired = self.env.ref("carshare_fleet.partner_paul_girard")
        self.assertFalse(expired.carshare_eligible)
        self.assertIn("expired", expired.carshare_ineligibility_reason)

    def test_neighbours_community(self):
        neighbours = self.env.ref("carshare_fleet.community_pilat_neighbours")
        self.assertEqual(neighbours.kind, "neighbours")
        self.assertEqual(len(neighbours.vehicle_ids), 1)
