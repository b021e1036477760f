from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestSecurity(CarshareCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_a = new_test_user(
            cls.env,
            "carshare_user_a",
            groups="carshare_fleet.group_carshare_user",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.user_b = new_test_user(
            cls.env,
            "carshare_user_b",
            groups="carshare_fleet.group_carshare_user",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.station_b = cls.env["carshare.station"].create(
            {"name": "Station B", "code": "STB", "company_id": cls.company_b.id}
        )
        cls.community_b = cls.env["carshare.community"].create(
            {"name": "Community B", "company_id": cls.company_b.id}
        )
        cls.private_vehicle = cls.env["fleet.vehicle"].create(
            {"model_id": cls.model.id, "license_plate": "PR-001-AA"}
        )

    def test_stations_of_other_companies_hidden(self):
        stations_a = self.env["carshare.station"].with_user(self.user_a).search([])
        self.assertIn(self.station, stations_a)
        self.assertNotIn(self.station_b, stations_a)
        stations_b = self.env["carshare.station"].with_user(self.user_b).search([])
        self.assertEqual(stations_b, self.station_b)
        with self.assertRaises(AccessError):
            self.station.with_user(self.user_b).read(["name"])

    def test_communities_and_memberships_of_other_companies_hidden(self):
        communities = self.env["carshare.community"].with_user(self.user_b).search([])
        self.assertEqual(communities, self.community_b)
        memberships = self.env["carshare.membership"].with_user(self.user_b).search([])
        self.assertFalse(memberships)

    def test_users_read_but_do_not_configure_stations(self):
        with self.assertRaises(AccessError):
            self.env["carshare.station"].with_user(self.user_a).create({"name": "Not Allowed"})
        with self.assertRaises(AccessError):
            self.station.with_user(self.user_a).write({"closed_to": 6.0})

    def test_carshare_user_sees_and_updates_shared_vehicles(self):
        vehicles = self.env["fleet.vehicle"].with_user(self.user_a).search([])
        self.assertIn(self.vehicle, vehicles)
        self.assertNotIn(self.private_vehicle, vehicles)
        self.vehicle.with_user(self.user_a).write({"carshare_battery_level": 80.0})
        self.assertEqual(self.vehicle.carshare_battery_level, 80.0)
        self.assertFalse(self.env["fleet.vehicle"].with_user(self.user_b).search([]))
        with self.assertRaises(AccessError):
            self.vehicle.with_user(self.user_b).read(["license_plate"])

    def test_carshare_user_records_inspections(self):
        inspection = (
            self.env["carshare.inspection"]
            .with_user(self.user_a)
            .create(
                {
                    "kind": "checkout",
                    "vehicle_id": self.vehicle.id,
                    "partner_id": self.driver.id,
                    "odometer": 120.0,
                }
            )
        )
        # Validating is the manager's decision (it records the odometer, invoices excesses).
        with self.assertRaises(AccessError):
            inspection.action_done()
        inspection.with_user(self.env.ref("base.user_admin")).action_done()
        self.assertEqual(inspection.state, "done")
        self.vehicle.invalidate_recordset(["odometer"])
        self.assertEqual(self.vehicle.odometer, 120.0)
        self.assertFalse(self.env["carshare.inspection"].with_user(self.user_b).search([]))
