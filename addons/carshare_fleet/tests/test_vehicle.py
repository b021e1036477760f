from datetime import datetime

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestVehicle(CarshareCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.neighbours = cls.env["carshare.community"].create(
            {"name": "Neighbours", "kind": "neighbours"}
        )

    def test_defaults(self):
        self.assertEqual(self.vehicle.carshare_state, "available")
        self.assertEqual(self.vehicle.carshare_category, "car")

    def test_neighbours_limits_refused(self):
        Vehicle = self.env["fleet.vehicle"]
        cases = {
            "over 3.5 t": {"carshare_weight_kg": 3501},
            "over 9 seats": {"seats": 10},
            "camping-car": {"carshare_category": "camper"},
            "value at the limit": {"car_value": 30000.0},
        }
        for label, vals in cases.items():
            with self.subTest(label):
                with self.assertRefused(ValidationError, "cannot serve the neighbours"):
                    self.create_vehicle(
                        license_plate="NB-999-ZZ",
                        carshare_community_ids=[Command.link(self.neighbours.id)],
                        **vals,
                    )
                self.assertFalse(Vehicle.search([("license_plate", "=", "NB-999-ZZ")]))

    def test_neighbours_within_limits_accepted(self):
        vehicle = self.create_vehicle(
            license_plate="NB-001-OK",
            carshare_weight_kg=3500,
            seats=9,
            car_value=29999.0,
            carshare_community_ids=[Command.link(self.neighbours.id)],
        )
        self.assertEqual(self.neighbours.vehicle_ids, vehicle)

    def test_limits_only_apply_to_neighbours(self):
        heavy = self.create_vehicle(
            license_plate="PB-001-HV",
            carshare_weight_kg=5000,
            carshare_category="camper",
            carshare_community_ids=[Command.link(self.community.id)],
        )
        self.assertEqual(heavy.carshare_community_ids, self.community)

    def test_vehicle_change_rechecked(self):
        vehicle = self.create_vehicle(
            license_plate="NB-002-OK", carshare_community_ids=[Command.link(self.neighbours.id)]
        )
        with self.assertRaises(ValidationError):
            vehicle.carshare_weight_kg = 4000
        vehicle.invalidate_recordset()
        self.assertEqual(vehicle.carshare_weight_kg, 0)

    def test_community_limits_rechecked(self):
        vehicle = self.create_vehicle(
            license_plate="NB-003-OK",
            seats=7,
            carshare_community_ids=[Command.link(self.neighbours.id)],
        )
        with self.assertRefused(ValidationError, "more than 5 seats"):
            self.neighbours.vehicle_max_seats = 5
        self.neighbours.invalidate_recordset()
        self.assertEqual(self.neighbours.vehicle_max_seats, 9)
        self.assertEqual(vehicle.carshare_community_ids, self.neighbours)

    def test_community_becoming_neighbours_rechecked(self):
        self.vehicle.carshare_category = "camper"
        self.community.vehicle_ids = self.vehicle
        with self.assertRefused(ValidationError, "camping-cars are excluded"):
            self.community.kind = "neighbours"
        self.community.invalidate_recordset()
        self.assertEqual(self.community.kind, "public_body")

    def test_adding_vehicle_from_community_rechecked(self):
        self.vehicle.carshare_category = "camper"
        with self.assertRaises(ValidationError):
            self.neighbours.vehicle_ids = [Command.link(self.vehicle.id)]
        self.neighbours.invalidate_recordset()
        self.assertFalse(self.neighbours.vehicle_ids)

    def test_battery_level_out_of_range_refused(self):
        with self.assertRaises(ValidationError):
            self.vehicle.carshare_battery_level = 120
        self.vehicle.invalidate_recordset()
        self.assertEqual(self.vehicle.carshare_battery_level, 0)

    def test_maintenance_end_before_start_refused(self):
        Window = self.env["carshare.maintenance.window"]
        with self.assertRefused(ValidationError, "must end after it starts"):
            Window.create(
                {
                    "vehicle_id": self.vehicle.id,
                    "date_start": datetime(2025, 5, 2, 10, 0),
                    "date_end": datetime(2025, 5, 2, 9, 0),
                    "reason": "Backwards",
                }
            )
        self.assertFalse(Window.search([("reason", "=", "Backwards")]))

    def test_maintenance_overlaps(self):
        window = self.env["carshare.maintenance.window"].create(
            {
                "vehicle_id": self.vehicle.id,
                "date_start": datetime(2025, 5, 2, 8, 0),
                "date_end": datetime(2025, 5, 2, 12, 0),
                "reason": "Tyres",
            }
        )
        other = self.create_vehicle(license_plate="TS-003-AA")
        overlaps = self.vehicle._carshare_maintenance_overlaps
        self.assertEqual(overlaps(datetime(2025, 5, 2, 11, 0), datetime(2025, 5, 2, 14, 0)), window)
        self.assertEqual(overlaps(datetime(2025, 5, 2, 6, 0), datetime(2025, 5, 2, 9, 0)), window)
        self.assertEqual(overlaps(datetime(2025, 5, 2, 9, 0), datetime(2025, 5, 2, 10, 0)), window)
        self.assertFalse(overlaps(datetime(2025, 5, 2, 12, 0), datetime(2025, 5, 2, 14, 0)))
        self.assertFalse(overlaps(datetime(2025, 5, 2, 6, 0), datetime(2025, 5, 2, 8, 0)))
        self.assertFalse(
            other._carshare_maintenance_overlaps(
                datetime(2025, 5, 2, 9, 0), datetime(2025, 5, 2, 10, 0)
            )
        )
