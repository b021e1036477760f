from datetime import datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CarshareCase


@tagged("post_install", "-at_install")
class TestStation(CarshareCase):
    def test_default_closing_hours(self):
        station = self.env["carshare.station"].create({"name": "Defaults"})
        self.assertEqual((station.closed_from, station.closed_to), (0.0, 5.0))
        self.assertTrue(station.tz)

    def test_closed_at_in_station_timezone(self):
        # Europe/Paris is UTC+1 in winter and UTC+2 in summer; closed 0:00-5:00 local time.
        cases = [
            (datetime(2025, 1, 15, 22, 59), False),  # 23:59 local
            (datetime(2025, 1, 15, 23, 0), True),  # 00:00 local
            (datetime(2025, 1, 16, 3, 59), True),  # 04:59 local
            (datetime(2025, 1, 16, 4, 0), False),  # 05:00 local
            (datetime(2025, 7, 15, 2, 30), True),  # 04:30 local (summer time)
            (datetime(2025, 7, 15, 3, 0), False),  # 05:00 local (summer time)
            (datetime(2025, 7, 15, 12, 0), False),
        ]
        for dt, closed in cases:
            with self.subTest(dt=dt):
                self.assertEqual(self.station._is_closed_at(dt), closed)

    def test_closed_at_other_timezone(self):
        self.station.tz = "America/New_York"
        self.assertTrue(self.station._is_closed_at(datetime(2025, 1, 15, 7, 0)))  # 02:00 local
        self.assertFalse(self.station._is_closed_at(datetime(2025, 1, 15, 2, 0)))  # 21:00 local

    def test_closed_across_midnight(self):
        self.station.write({"closed_from": 22.0, "closed_to": 6.0, "tz": "UTC"})
        cases = [
            (datetime(2025, 3, 1, 21, 59), False),
            (datetime(2025, 3, 1, 22, 0), True),
            (datetime(2025, 3, 1, 23, 30), True),
            (datetime(2025, 3, 2, 0, 0), True),
            (datetime(2025, 3, 2, 5, 59), True),
            (datetime(2025, 3, 2, 6, 0), False),
            (datetime(2025, 3, 2, 12, 0), False),
        ]
        for dt, closed in cases:
            with self.subTest(dt=dt):
                self.assertEqual(self.station._is_closed_at(dt), closed)

    def test_equal_closing_hours_never_closed(self):
        self.station.write({"closed_from": 3.0, "closed_to": 3.0})
        for hour in range(24):
            with self.subTest(hour=hour):
                self.assertFalse(self.station._is_closed_at(datetime(2025, 3, 1, hour, 0)))

    def test_closing_hours_out_of_range_refused(self):
        Station = self.env["carshare.station"]
        for vals in ({"closed_from": 25.0}, {"closed_to": -1.0}, {"closed_to": 24.5}):
            with self.subTest(vals=vals):
                with self.assertRaises(ValidationError):
                    Station.create({"name": "Bad Hours", **vals})
                self.assertFalse(Station.search([("name", "=", "Bad Hours")]))
        with self.assertRaises(ValidationError):
            self.station.write({"closed_to": 30.0})
        self.station.invalidate_recordset()
        self.assertEqual(self.station.closed_to, 5.0)

    def test_coordinates_out_of_range_refused(self):
        with self.assertRaises(ValidationError):
            self.env["carshare.station"].create({"name": "Nowhere", "latitude": 91.0})
        self.assertFalse(self.env["carshare.station"].search([("name", "=", "Nowhere")]))

    def test_negative_charge_points_refused(self):
        with self.assertRaises(ValidationError):
            self.station.charge_point_count = -1
        self.station.invalidate_recordset()
        self.assertEqual(self.station.charge_point_count, 0)

    def test_code_unique_per_company(self):
        other_company = self.env["res.company"].create({"name": "Other Company"})
        self.env["carshare.station"].create(
            {"name": "Same Code Elsewhere", "code": "TST", "company_id": other_company.id}
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["carshare.station"].create({"name": "Duplicate", "code": "TST"})
            self.env.flush_all()
        self.assertFalse(self.env["carshare.station"].search([("name", "=", "Duplicate")]))

    def test_map_url(self):
        self.station.write({"latitude": 48.4306, "longitude": 0.0931})
        self.assertIn("mlat=48.4306", self.station.map_url)
        self.assertIn("mlon=0.0931", self.station.map_url)
        address = self.env["res.partner"].create(
            {"name": "Town Hall", "street": "Place Foch", "zip": "61000", "city": "Alençon"}
        )
        self.station.write({"latitude": 0.0, "longitude": 0.0, "partner_id": address.id})
        self.assertIn("openstreetmap.org/search?query=Place+Foch", self.station.map_url)
        self.station.partner_id = False
        self.assertFalse(self.station.map_url)

    def test_vehicle_count(self):
        self.assertEqual(self.station.vehicle_count, 1)
        self.create_vehicle(license_plate="TS-002-AA")
        self.station.invalidate_recordset(["vehicle_count"])
        self.assertEqual(self.station.vehicle_count, 2)
        self.assertEqual(
            self.station.vehicle_ids.mapped("license_plate"), ["TS-001-AA", "TS-002-AA"]
        )
