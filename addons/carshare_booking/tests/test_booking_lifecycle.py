from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import BookingCase


@tagged("post_install", "-at_install")
class TestBookingLifecycle(BookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.car.odometer = 1000

    def test_pick_up_too_early(self):
        booking = self.confirmed_booking()
        with self.assertRaisesRegex(UserError, "can be picked up from"):
            booking.action_start()
        self.assertEqual(booking.state, "confirmed")

    def test_pick_up_and_return(self):
        booking = self.confirmed_booking().with_user(self.desk_user)
        with freeze_time(self.at(1, 50)):
            booking.action_start()
        self.assertEqual(booking.state, "ongoing")
        self.assertEqual(booking.date_pickup, self.at(1, 50))
        self.assertEqual(booking.odometer_start, 1000)
        self.assertEqual(booking.energy_start, 80)
        self.assertEqual(self.car.carshare_state, "in_use")

        with freeze_time(self.at(4, 10)):
            booking.action_return(odometer=1042, energy=55)
        self.assertEqual(booking.state, "done")
        self.assertEqual(booking.date_return, self.at(4, 10))
        self.assertEqual(booking.distance_km, 42)
        self.assertEqual(booking.energy_used, 25)
        self.assertEqual(booking.late_minutes, 0, "returned within the grace period")
        self.assertEqual(self.car.carshare_state, "available")
        self.assertEqual(self.car.odometer, 1042)
        report = booking.inspection_ids
        self.assertRecordValues(
            report,
            [
                {
                    "kind": "checkin",
                    "state": "done",
                    "vehicle_id": self.car.id,
                    "partner_id": self.agent.id,
                    "odometer": 1042,
                    "energy_level": 55,
                }
            ],
        )
        self.assertEqual(booking.inspection_count, 1)

    def test_pick_up_with_readings(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start(odometer=1005, energy=90)
        self.assertEqual((booking.odometer_start, booking.energy_start), (1005, 90))

    def test_late_return(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start()
        with freeze_time(self.at(5, 3)):
            booking.action_return(odometer=1100)
        self.assertEqual(booking.late_minutes, 63)

    def test_return_completes_drivers_report(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start()
        report = self.env["carshare.inspection"].create(
            {
                "kind": "checkin",
                "booking_id": booking.id,
                "vehicle_id": self.car.id,
                "partner_id": self.agent.id,
                "remarks": "Dirty seats",
            }
        )
        with freeze_time(self.at(4)):
            booking.action_return(odometer=1010, energy=60)
        self.assertEqual(booking.inspection_ids, report)
        self.assertRecordValues(report, [{"state": "done", "odometer": 1010, "energy_level": 60}])

    def test_driver_cancels_before_start(self):
        booking = self.confirmed_booking().with_user(self.desk_user)
        booking.action_cancel()
        self.assertEqual(booking.state, "cancelled")
        self.assertIn("is cancelled", booking.message_ids[0].body)

    def test_cancel_after_start_needs_manager(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2, 5)):
            with self.assertRaisesRegex(UserError, "has started and can no longer be cancelled"):
                booking.with_user(self.desk_user).action_cancel()
            self.assertEqual(booking.state, "confirmed")
            booking.with_user(self.manager).action_cancel()
        self.assertEqual(booking.state, "cancelled")

    def test_manager_cancels_ongoing_booking(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start()
            booking.with_user(self.manager).action_cancel()
        self.assertEqual(booking.state, "cancelled")
        self.assertEqual(self.car.carshare_state, "available")

    def test_finished_booking_cannot_be_cancelled(self):
        booking = self.confirmed_booking()
        with freeze_time(self.at(2)):
            booking.action_start()
            booking.action_return()
            with self.assertRaisesRegex(UserError, "can no longer be cancelled"):
                booking.with_user(self.manager).action_cancel()

    def test_confirmed_booking_cannot_be_deleted(self):
        booking = self.confirmed_booking()
        with self.assertRaisesRegex(UserError, "Cancel a booking instead"):
            booking.unlink()
        draft = self.make_booking(start=self.at(30))
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_access_code_lookup(self):
        booking = self.confirmed_booking()
        find = self.env["carshare.booking"]._find_by_access_code
        self.assertFalse(find(self.station, booking.access_code))
        self.assertEqual(find(self.station, booking.access_code, self.at(1, 50)), booking)
        self.assertFalse(find(self.other_station, booking.access_code, self.at(1, 50)))
        with freeze_time(self.at(2)):
            booking.action_start()
        self.assertEqual(find(self.station, booking.access_code, self.at(9)), booking)
        booking.action_return()
        self.assertFalse(find(self.station, booking.access_code, self.at(3)))
