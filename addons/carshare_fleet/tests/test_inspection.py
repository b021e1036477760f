from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestInspection(CarshareCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["fleet.vehicle.odometer"].create({"vehicle_id": cls.vehicle.id, "value": 1000.0})

    def create_inspection(self, **vals):
        return self.env["carshare.inspection"].create(
            {
                "kind": "checkin",
                "vehicle_id": self.vehicle.id,
                "partner_id": self.driver.id,
                "odometer": 1250.0,
                "energy_level": 60.0,
                "date": datetime(2025, 5, 2, 12, 0),
                **vals,
            }
        )

    def odometer_logs(self):
        return self.env["fleet.vehicle.odometer"].search([("vehicle_id", "=", self.vehicle.id)])

    def test_reference_from_sequence(self):
        inspection = self.create_inspection()
        self.assertTrue(inspection.name.startswith("INSP/"), inspection.name)
        self.assertNotEqual(inspection.name, self.create_inspection().name)

    def test_done_writes_odometer(self):
        inspection = self.create_inspection()
        inspection.action_done()
        self.assertEqual(inspection.state, "done")
        log = self.odometer_logs().filtered(lambda o: o.value == 1250.0)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.date, date(2025, 5, 2))
        self.vehicle.invalidate_recordset(["odometer"])
        self.assertEqual(self.vehicle.odometer, 1250.0)

    def test_odometer_going_backwards_refused(self):
        inspection = self.create_inspection(odometer=900.0)
        with self.assertRefused(ValidationError, "going backwards"):
            inspection.action_done()
        inspection.invalidate_recordset()
        self.assertEqual(inspection.state, "draft")
        self.assertEqual(self.odometer_logs().mapped("value"), [1000.0])

    def test_invalid_readings_refused(self):
        Inspection = self.env["carshare.inspection"]
        count = Inspection.search_count([])
        for vals in ({"energy_level": 101.0}, {"odometer": -1.0}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.create_inspection(**vals)
        self.assertEqual(Inspection.search_count([]), count)

    def test_claim_opened_from_damage(self):
        inspection = self.create_inspection(
            damage_ids=[
                Command.create(
                    {
                        "description": "Broken mirror",
                        "location": "left",
                        "severity": "moderate",
                        "responsible": True,
                    }
                )
            ]
        )
        damage = inspection.damage_ids
        action = damage.action_open_claim()
        claim = damage.claim_id
        self.assertEqual(action["res_model"], "carshare.claim")
        self.assertEqual(action["res_id"], claim.id)
        self.assertEqual(claim.partner_id, self.driver)
        self.assertEqual(claim.vehicle_id, self.vehicle)
        self.assertEqual(claim.damage_id, damage)
        self.assertEqual(claim.description, "Broken mirror")
        self.assertEqual(claim.date, date(2025, 5, 2))
        self.assertTrue(claim.responsible)
        self.assertEqual(self.driver.carshare_claim_ids, claim)
        self.assertEqual(damage.action_open_claim()["res_id"], claim.id, "no second claim")
        self.assertEqual(
            self.env["carshare.claim"].search_count([("damage_id", "=", damage.id)]), 1
        )

    def test_claim_needs_a_driver(self):
        inspection = self.create_inspection(
            partner_id=False, damage_ids=[Command.create({"description": "Dent"})]
        )
        with self.assertRaises(UserError):
            inspection.damage_ids.action_open_claim()
        self.assertFalse(inspection.damage_ids.claim_id)
