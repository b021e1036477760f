from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import NeighboursCase


@tagged("post_install", "-at_install")
class TestLogbook(NeighboursCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.member("Owner")
        cls.driver = cls.member("Driver")
        cls.set_owners((cls.owner, 100.0))

    def log(self, partner, start, end, when=date(2030, 1, 10)):
        return self.env["carshare.neighbours.trip"].create(
            {
                "community_id": self.community.id,
                "partner_id": partner.id,
                "date": when,
                "odometer_start": start,
                "odometer_end": end,
            }
        )

    def test_trip_distance_and_vehicle(self):
        trip = self.log(self.driver, 50000, 50042)
        self.assertEqual(trip.vehicle_id, self.car)
        self.assertEqual(trip.distance_km, 42)

    def test_end_below_start(self):
        with self.assertRefused(ValidationError, "ends at 49958.0 km, below its start"):
            self.log(self.driver, 50000, 49958)

    def test_readings_within_physical_bounds(self):
        for start, end in ((-1, 10), (50000, float("inf")), (float("nan"), 50000), (0, 1e300)):
            with (
                self.subTest(start=start, end=end),
                self.assertRefused(ValidationError, "The odometer must read between 0 and"),
            ):
                self.log(self.driver, start, end)

    def test_start_below_previous_end(self):
        self.log(self.owner, 50000, 50100, when=date(2030, 1, 10))
        with self.assertRefused(ValidationError, "previous trip .* ended at 50100.0 km"):
            self.log(self.driver, 50080, 50150, when=date(2030, 1, 11))

    def test_trip_inserted_before_a_later_one(self):
        self.log(self.owner, 50100, 50200, when=date(2030, 1, 12))
        with self.assertRefused(ValidationError, "next trip .* starts at 50100.0 km"):
            self.log(self.driver, 50050, 50120, when=date(2030, 1, 11))
        self.assertTrue(self.log(self.driver, 50050, 50100, when=date(2030, 1, 11)))

    def test_later_trip_with_a_lower_odometer(self):
        self.log(self.owner, 50000, 50100, when=date(2030, 1, 10))
        with self.assertRefused(ValidationError, "odometer cannot go backwards"):
            self.log(self.driver, 40000, 40100, when=date(2030, 1, 20))

    def test_gap_forward_is_accepted(self):
        self.log(self.owner, 50000, 50100, when=date(2030, 1, 10))
        trip = self.log(self.driver, 50130, 50180, when=date(2030, 1, 11))
        self.assertEqual(trip.distance_km, 50)

    def test_editing_a_trip_backwards(self):
        first = self.log(self.owner, 50000, 50100, when=date(2030, 1, 10))
        self.log(self.driver, 50100, 50180, when=date(2030, 1, 11))
        with self.assertRefused(ValidationError, "odometer cannot go backwards"):
            first.odometer_end = 50150

    def test_typed_trip_moves_the_vehicle_odometer(self):
        self.log(self.driver, 50000, 50042)
        self.assertEqual(self.car.odometer, 50042)
