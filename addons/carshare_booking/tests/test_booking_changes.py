from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import NOW, BookingCase

# Sunday 20 January 2030, 10:00 to 18:00 in Paris: outside the priority hours.
SUNDAY_9H = datetime(2030, 1, 20, 9, 0)
# Monday 21 January 2030, 10:00 in Paris: inside the priority hours.
MONDAY_9H = datetime(2030, 1, 21, 9, 0)


@tagged("post_install", "-at_install")
class TestBookingChanges(BookingCase):
    """A change of an active booking obeys the rules of a new booking on what it adds."""

    def assertChangeRefused(self, booking, values, message):
        before = booking.read(["date_start", "date_end", "vehicle_id"])
        with self.assertRaisesRegex(ValidationError, message):
            booking.write(values)
        booking.invalidate_recordset()
        self.assertEqual(booking.read(["date_start", "date_end", "vehicle_id"]), before)

    def resident_sunday(self):
        return self.confirmed_booking(
            SUNDAY_9H, SUNDAY_9H + timedelta(hours=8), partner_id=self.resident.id
        )

    def test_resident_extends_weekend_into_priority_hours(self):
        """Issue 13, defect 5: a Sunday booking may not grow into Monday office hours."""
        booking = self.resident_sunday()
        self.assertChangeRefused(booking, {"date_end": MONDAY_9H}, "agents' priority hours")

    def test_agent_extends_into_priority_hours(self):
        booking = self.confirmed_booking(SUNDAY_9H, SUNDAY_9H + timedelta(hours=8))
        booking.date_end = MONDAY_9H
        self.assertEqual(booking.date_end, MONDAY_9H)

    def test_resident_extends_once_released(self):
        """The release delay runs from the start of what the extension adds."""
        booking = self.resident_sunday()
        with freeze_time(SUNDAY_9H + timedelta(hours=2)):
            booking.date_end = MONDAY_9H
        self.assertEqual(booking.date_end, MONDAY_9H)

    def test_resident_moves_into_priority_hours(self):
        booking = self.resident_sunday()
        self.assertChangeRefused(
            booking,
            {"date_start": MONDAY_9H, "date_end": MONDAY_9H + timedelta(hours=2)},
            "agents' priority hours",
        )

    def test_extension_checks_driver_at_new_end(self):
        booking = self.confirmed_booking()
        self.agent.driving_licence_expiry_date = booking.date_end.date() + relativedelta(days=1)
        self.assertChangeRefused(
            booking, {"date_end": booking.date_end + timedelta(days=2)}, "before the end"
        )

    def test_extension_of_suspended_member_refused(self):
        booking = self.confirmed_booking()
        booking._membership()._suspend("Unpaid invoice")
        self.assertChangeRefused(
            booking, {"date_end": booking.date_end + timedelta(hours=1)}, "cannot book"
        )

    def test_extension_checks_station_hours_and_duration(self):
        booking = self.confirmed_booking()
        # Midnight UTC is 1:00 in Paris: the station is closed.
        self.assertChangeRefused(booking, {"date_end": self.at(16)}, "closed at the return")
        self.assertChangeRefused(
            booking, {"date_end": self.at(2) + timedelta(hours=73)}, "between 00:30 and 72:00"
        )

    def test_extension_checks_overlap(self):
        booking = self.confirmed_booking()
        self.confirmed_booking(start=self.at(6))
        self.assertChangeRefused(booking, {"date_end": self.at(5, 45)}, "no longer available")

    def test_move_checks_lead_time_and_horizon(self):
        booking = self.confirmed_booking()
        self.assertChangeRefused(
            booking,
            {"date_start": self.at(0, 2), "date_end": self.at(2)},
            "at least 5 minutes from now",
        )
        far = NOW + timedelta(days=100)
        self.assertChangeRefused(
            booking, {"date_start": far, "date_end": far + timedelta(hours=2)}, "90 days ahead"
        )

    def test_started_booking_extends_without_lead_time(self):
        booking = self.confirmed_booking(start=self.at(0, 10))
        with freeze_time(self.at(0, 10)):
            booking.action_start()
            booking.date_end = self.at(6)
        self.assertEqual(booking.date_end, self.at(6))
        self.assertEqual(booking.state, "ongoing")

    def test_vehicle_change_checks_the_new_vehicle(self):
        booking = self.confirmed_booking()
        self.car_2.carshare_state = "maintenance"
        self.assertChangeRefused(booking, {"vehicle_id": self.car_2.id}, "in maintenance")


@tagged("post_install", "-at_install")
class TestBookingReadings(BookingCase):
    """Pick-up and return readings within physical bounds, never backwards."""

    def test_readings_bounded(self):
        booking = self.confirmed_booking(start=self.at(0, 10))
        with freeze_time(self.at(0, 10)):
            for odometer, energy in ((float("inf"), 50), (1e300, 50), (1000, float("nan"))):
                with (
                    self.subTest(odometer=odometer, energy=energy),
                    self.assertRaises(ValidationError),
                ):
                    booking.action_start(odometer=odometer, energy=energy)
            self.assertEqual(booking.state, "confirmed")
            booking.action_start(odometer=1000, energy=80)
        with freeze_time(self.at(2)):
            for odometer in (float("inf"), float("nan"), 2_000_001, 999):
                with self.subTest(odometer=odometer), self.assertRaises(ValidationError):
                    booking.action_return(odometer=odometer, energy=50)
            self.assertEqual(booking.state, "ongoing")
            booking.action_return(odometer=1042, energy=50)
        self.assertEqual(booking.distance_km, 42)
        self.assertEqual(self.car.odometer, 1042)
