from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import BookingCase


@tagged("post_install", "-at_install")
class TestBookingTransfer(BookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.far_car = cls.create_vehicle("CS-003-AA", cls.other_station, carshare_range_km=300)
        cls.van = cls.create_vehicle(
            "CS-004-AA", carshare_category="utility", carshare_range_km=400
        )

    def setUp(self):
        super().setUp()
        # Starts at 9:30 UTC: within the two hours checked before the start.
        self.booking = self.confirmed_booking(start=self.at(1, 30))
        self.code = self.booking.access_code

    def run_cron(self):
        self.env["carshare.booking"]._cron_transfer_bookings()

    def assertTransferred(self, vehicle, reason):
        self.assertRecordValues(
            self.booking,
            [
                {
                    "vehicle_id": vehicle.id,
                    "station_id": vehicle.carshare_station_id.id,
                    "transferred_from_vehicle_id": self.car.id,
                    "transfer_reason": reason,
                    "state": "confirmed",
                }
            ],
        )
        notice = self.booking.message_ids[0]
        self.assertIn(f"moves from {self.car.display_name} to {vehicle.display_name}", notice.body)
        self.assertEqual(notice.partner_ids, self.agent)

    def test_previous_booking_late(self):
        with freeze_time(self.at(-3)):
            previous = self.confirmed_booking(start=self.at(-2, 30), end=self.at(-1))
        with freeze_time(self.at(-2, 30)):
            previous.action_start()
        self.run_cron()
        self.assertTransferred(self.car_2, "late")
        self.assertEqual(self.booking.access_code, self.code, "same key box, same code")

    def test_previous_booking_within_grace(self):
        with freeze_time(self.at(-3)):
            previous = self.confirmed_booking(start=self.at(-2, 30), end=self.at(0, -10))
        with freeze_time(self.at(-2, 30)):
            previous.action_start()
        self.run_cron()
        self.assertEqual(self.booking.vehicle_id, self.car)

    def test_vehicle_in_maintenance(self):
        self.car.carshare_state = "maintenance"
        self.run_cron()
        self.assertTransferred(self.car_2, "maintenance")

    def test_maintenance_window(self):
        self.env["carshare.maintenance.window"].create(
            {
                "vehicle_id": self.car.id,
                "date_start": self.at(3),
                "date_end": self.at(6),
                "reason": "Recall",
            }
        )
        self.run_cron()
        self.assertTransferred(self.car_2, "maintenance")

    def test_not_charged_enough(self):
        self.assertEqual(self.booking.expected_km, 30)
        self.car.carshare_range_km = 25
        self.run_cron()
        self.assertTransferred(self.car_2, "battery")

    def test_falls_back_on_the_community(self):
        self.car.carshare_state = "maintenance"
        self.car_2.carshare_range_km = 20
        self.run_cron()
        self.assertTransferred(self.far_car, "maintenance")
        self.assertRegex(self.booking.access_code, r"^\d{6}$")

    def test_too_early_to_check(self):
        later = self.confirmed_booking(start=self.at(5))
        self.car.carshare_state = "maintenance"
        self.run_cron()
        self.assertEqual(later.vehicle_id, self.car)
        self.assertEqual(self.booking.vehicle_id, self.car_2)

    def test_no_vehicle_free(self):
        self.car.carshare_state = "maintenance"
        (self.car_2 | self.far_car).write({"carshare_state": "out_of_service"})
        self.run_cron()
        self.run_cron()
        self.assertEqual(self.booking.vehicle_id, self.car)
        activity_type = self.env.ref("carshare_booking.mail_activity_type_vehicle_transfer")
        activity = self.booking.activity_ids
        self.assertEqual(activity.activity_type_id, activity_type)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("in maintenance", str(activity.note))

    def test_busy_vehicles_are_not_candidates(self):
        self.confirmed_booking(start=self.at(3), vehicle_id=self.car_2.id)
        self.car.carshare_state = "maintenance"
        self.run_cron()
        self.assertTransferred(self.far_car, "maintenance")

    def test_manager_moves_booking(self):
        self.booking.with_user(self.manager).action_transfer()
        self.assertTransferred(self.car_2, "manual")

    def test_manager_finds_no_vehicle(self):
        (self.car_2 | self.far_car).write({"carshare_state": "out_of_service"})
        with self.assertRaisesRegex(UserError, "No other vehicle of this category is free"):
            self.booking.action_transfer()
        self.assertEqual(self.booking.vehicle_id, self.car)
