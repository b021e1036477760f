import json

from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import BookingCase


@tagged("post_install", "-at_install")
class TestBookingAvailability(BookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.car_3 = cls.create_vehicle("CS-005-AA")
        cls.far_car = cls.create_vehicle("CS-003-AA", cls.other_station)
        cls.van = cls.create_vehicle("CS-004-AA", carshare_category="utility")

    def availability(self, start, end, **kwargs):
        rows = self.env["carshare.booking"]._carshare_available_vehicles(
            start, end, community=self.community, **kwargs
        )
        return {row["vehicle_id"]: row for row in rows}

    def test_free_and_booked(self):
        self.confirmed_booking()  # car, +2h to +4h, kept until +4h30
        rows = self.availability(self.at(3), self.at(5))
        self.assertEqual(
            set(rows), {self.car.id, self.car_2.id, self.car_3.id, self.far_car.id, self.van.id}
        )
        self.assertEqual(
            rows[self.car_2.id],
            {
                "vehicle_id": self.car_2.id,
                "name": self.car_2.name,
                "station_id": self.station.id,
                "category": "car",
                "range_km": 200,
                "free": True,
                "reason": "",
                "next_free": "2030-01-15 11:00:00",
            },
        )
        car = rows[self.car.id]
        self.assertFalse(car["free"])
        self.assertEqual(car["reason"], "Already booked.")
        self.assertEqual(car["next_free"], "2030-01-15 12:30:00")

    def test_buffer_counts(self):
        self.confirmed_booking()
        self.assertFalse(self.availability(self.at(4, 20), self.at(6))[self.car.id]["free"])
        self.assertTrue(self.availability(self.at(4, 30), self.at(6))[self.car.id]["free"])
        # The new booking's own buffer must end before the next one starts.
        self.assertFalse(self.availability(self.at(0, 30), self.at(1, 45))[self.car.id]["free"])
        self.assertTrue(self.availability(self.at(0, 30), self.at(1, 30))[self.car.id]["free"])

    def test_next_free_skips_short_gaps(self):
        self.confirmed_booking()  # +2h to +4h
        self.confirmed_booking(start=self.at(5), end=self.at(7))  # a 30 minute gap before
        row = self.availability(self.at(3), self.at(5))[self.car.id]
        self.assertEqual(row["next_free"], "2030-01-15 15:30:00")
        # The whole slot from 15:30 to 18:00 must fit before the end of the search, which is
        # counted from the requested end and its buffer (13:30).
        row = self.availability(self.at(3), self.at(5), next_free_within=4)[self.car.id]
        self.assertFalse(row["next_free"])
        row = self.availability(self.at(3), self.at(5), next_free_within=4.5)[self.car.id]
        self.assertEqual(row["next_free"], "2030-01-15 15:30:00")

    def test_maintenance(self):
        self.car.carshare_state = "maintenance"
        self.env["carshare.maintenance.window"].create(
            {
                "vehicle_id": self.car_2.id,
                "date_start": self.at(3),
                "date_end": self.at(4),
                "reason": "Tyres",
            }
        )
        rows = self.availability(self.at(2), self.at(5))
        for vehicle in self.car | self.car_2:
            self.assertEqual(rows[vehicle.id]["reason"], "In maintenance.")
            self.assertFalse(rows[vehicle.id]["next_free"])

    def test_late_vehicle(self):
        with freeze_time(self.at(-3)):
            previous = self.confirmed_booking(start=self.at(-2, 30), end=self.at(-1))
        with freeze_time(self.at(-2, 30)):
            previous.action_start()
        rows = self.availability(self.at(0, 10), self.at(2))
        self.assertEqual(rows[self.car.id]["reason"], "Not back yet from the previous booking.")
        self.assertEqual(rows[self.car.id]["next_free"], "2030-01-15 08:30:00")
        self.assertTrue(self.availability(self.at(0, 30), self.at(2))[self.car.id]["free"])

    def test_closed_station(self):
        rows = self.availability(self.at(15, 30), self.at(17))
        self.assertTrue(rows)
        self.assertTrue(all(not row["free"] for row in rows.values()))
        self.assertIn("closed", rows[self.car.id]["reason"])

    def test_filters(self):
        rows = self.availability(self.at(2), self.at(4), station=self.station, category="car")
        self.assertEqual(set(rows), {self.car.id, self.car_2.id, self.car_3.id})
        self.car_3.carshare_community_ids = False
        rows = self.availability(self.at(2), self.at(4), station=self.station, category="car")
        self.assertEqual(set(rows), {self.car.id, self.car_2.id})

    def test_free_vehicles_first(self):
        self.confirmed_booking()
        rows = self.env["carshare.booking"]._carshare_available_vehicles(
            self.at(2), self.at(4), self.station, self.community, "car"
        )
        self.assertEqual([row["free"] for row in rows], [True, True, False])

    def test_json_rpc_entry_point(self):
        self.confirmed_booking()
        rows = (
            self.env["carshare.booking"]
            .with_user(self.desk_user)
            .carshare_available_vehicles(
                "2030-01-15 11:00:00",
                "2030-01-15 13:00:00",
                station_id=self.station.id,
                community_id=self.community.id,
            )
        )
        decoded = json.loads(json.dumps(rows))
        self.assertEqual(len(decoded), 4)
        self.assertEqual({row["vehicle_id"] for row in decoded if not row["free"]}, {self.car.id})

    def test_other_bookings_do_not_matter(self):
        self.confirmed_booking(vehicle_id=self.car_2.id)
        done = self.confirmed_booking(start=self.at(30))
        done.action_cancel()
        row = self.availability(self.at(30), self.at(32))[self.car.id]
        self.assertTrue(row["free"])
        self.assertEqual(row["next_free"], fields.Datetime.to_string(self.at(30)))
