from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import NOW, BookingCase


@tagged("post_install", "-at_install")
class TestBookingRules(BookingCase):
    def assertRefused(self, booking, message):
        with self.assertRaisesRegex(ValidationError, message):
            booking.action_confirm()
        self.assertUnchanged(booking)

    def test_confirm(self):
        booking = self.make_booking()
        self.assertRegex(booking.name, r"^BK/2030/\d{5}$")
        self.assertEqual(booking.station_id, self.station)
        self.assertEqual(booking.user_id, self.manager)
        self.assertEqual(booking.buffer_minutes, 30)
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")
        self.assertRegex(booking.access_code, r"^\d{6}$")
        self.assertEqual(booking.access_valid_from, self.at(2) - timedelta(minutes=15))
        self.assertEqual(booking.access_valid_until, self.at(4) + timedelta(minutes=15))
        message = booking.message_ids.filtered(lambda m: booking.access_code in (m.body or ""))
        self.assertEqual(message.partner_ids, self.agent)

    def test_duration_bounds(self):
        self.assertRefused(self.make_booking(end=self.at(2, 20)), "between 00:30 and 72:00")
        self.assertRefused(self.make_booking(end=self.at(2 + 73)), "between 00:30 and 72:00")

    def test_end_before_start(self):
        with self.assertRaisesRegex(ValidationError, "must end after it starts"):
            self.make_booking(end=self.at(1))

    def test_dates_out_of_any_horizon(self):
        """A desk agent's RPC create or move with year 9999 (or a date that is none) gets a
        clear error before anything is computed from it, never a server error."""
        Booking = self.env["carshare.booking"].with_user(self.desk_user)
        values = {
            "community_id": self.community.id,
            "partner_id": self.agent.id,
            "vehicle_id": self.car.id,
            "date_end": fields.Datetime.to_string(self.at(4)),
        }
        for start in ("9999-12-31 10:00:00", "0001-01-01 00:00:00", "31/12/2030"):
            with self.assertRaisesRegex(ValidationError, "within ten years of today"):
                Booking.create({**values, "date_start": start})
        booking = self.make_booking()
        with self.assertRaisesRegex(ValidationError, "within ten years of today"):
            booking.with_user(self.desk_user).write({"date_end": "9999-12-31 12:00:00"})
        self.assertEqual(booking.date_end, self.at(4))

    def test_start_in_past(self):
        self.assertRefused(self.make_booking(start=self.at(-1)), "cannot start in the past")

    def test_lead_time(self):
        self.assertRefused(self.make_booking(start=self.at(0, 3)), "at least 5 minutes")
        booking = self.make_booking(start=self.at(0, 5))
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_horizon(self):
        late_start = NOW + timedelta(days=91)
        self.assertRefused(self.make_booking(start=late_start), "Bookings open 90 days ahead")

    def test_max_upcoming_bookings(self):
        for day in range(1, 4):
            self.confirmed_booking(start=self.at(24 * day + 2))
        self.assertRefused(
            self.make_booking(start=self.at(24 * 4 + 2)), "already have 3 upcoming bookings"
        )

    def test_station_closed(self):
        # 23:30 UTC is 0:30 in Paris, 3:00 UTC is 4:00.
        self.assertRefused(
            self.make_booking(start=self.at(15, 30), end=self.at(17)),
            "closed at the pick-up time",
        )
        self.assertRefused(
            self.make_booking(start=self.at(12), end=self.at(19)), "closed at the return time"
        )

    def test_ineligible_driver(self):
        self.agent.driving_licence_category = "A"
        self.assertRefused(self.make_booking(), "does not include category B")

    def test_suspended_member(self):
        membership = self.agent.carshare_membership_ids
        membership.write({"state": "suspended", "suspension_reason": "Unpaid invoices"})
        self.assertRefused(self.make_booking(), "suspended")

    def test_not_a_member(self):
        elsewhere = self._other_community()
        stranger = self.create_driver("Paul Stranger", "resident", community=elsewhere)
        self.assertRefused(self.make_booking(partner_id=stranger.id), "not a member")

    def _other_community(self):
        return self.env["carshare.community"].create({"name": "Elsewhere"})

    def test_vehicle_not_shared(self):
        self.car.carshare_shared = False
        self.assertRefused(self.make_booking(), "is not shared")

    def test_vehicle_of_another_community(self):
        self.car.carshare_community_ids = self._other_community()
        self.assertRefused(self.make_booking(), "is not available to AutoFree Test")

    def test_vehicle_in_maintenance(self):
        self.car.carshare_state = "maintenance"
        self.assertRefused(self.make_booking(), "in maintenance")

    def test_vehicle_maintenance_window(self):
        self.env["carshare.maintenance.window"].create(
            {
                "vehicle_id": self.car.id,
                "date_start": self.at(3),
                "date_end": self.at(30),
                "reason": "Tyres",
            }
        )
        self.assertRefused(self.make_booking(), "in maintenance")
        booking = self.make_booking(start=self.at(31))
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_professional_use_needs_employer(self):
        booking = self.make_booking(usage="pro")
        self.assertEqual(booking.employer_id, self.employer)
        with self.assertRaisesRegex(ValidationError, "needs the employer"):
            self.make_booking(usage="pro", partner_id=self.resident.id)
        self.assertFalse(self.make_booking(usage="perso").employer_id)

    def test_max_loan_days(self):
        self.community.write({"max_duration": 24 * 40, "max_loan_days": 30})
        with self.assertRaisesRegex(ValidationError, "cannot exceed 30 days"):
            self.make_booking(end=self.at(2) + timedelta(days=31))
        booking = self.make_booking(end=self.at(2) + timedelta(days=30))
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_resident_outside_priority_hours(self):
        # 18:00-20:00 UTC is 19:00-21:00 in Paris.
        booking = self.make_booking(start=self.at(10), partner_id=self.resident.id)
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_resident_inside_priority_hours(self):
        # Wednesday 10:00-12:00 in Paris: released 24 hours before, at 9:00 UTC today.
        start = self.at(25)
        self.assertRefused(
            self.make_booking(start=start, partner_id=self.resident.id), "priority hours"
        )
        with freeze_time(self.at(1)):
            booking = self.make_booking(start=start, partner_id=self.resident.id)
            booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_agent_inside_priority_hours(self):
        booking = self.make_booking(start=self.at(25))
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_resident_on_public_holiday(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.calendar.id,
                "date_from": self.at(16),
                "date_to": self.at(40),
            }
        )
        booking = self.make_booking(start=self.at(25), partner_id=self.resident.id)
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_overlap_with_buffer(self):
        self.confirmed_booking()
        # The first booking ends at +4h and keeps the car until +4h30.
        self.assertRefused(
            self.make_booking(start=self.at(4, 20)), "no longer available for this slot"
        )
        booking = self.make_booking(start=self.at(4, 30))
        booking.action_confirm()
        self.assertEqual(booking.state, "confirmed")

    def test_overlap_refused_by_database(self):
        """Even without the Python check, PostgreSQL refuses the overlap with a clean error."""
        self.confirmed_booking()
        booking = self.make_booking(start=self.at(3), partner_id=self.resident.id)
        with self.assertRaisesRegex(ValidationError, "no longer available for this slot"):
            booking.write({"state": "confirmed"})
        self.assertUnchanged(booking)
        with self.assertRaisesRegex(ValidationError, "no longer available for this slot"):
            self.make_booking(start=self.at(3), state="confirmed")

    def test_moving_active_booking_checks_overlap(self):
        first = self.confirmed_booking()
        second = self.confirmed_booking(start=self.at(6))
        with self.assertRaisesRegex(ValidationError, "no longer available for this slot"):
            second.date_start = self.at(4)
        self.assertEqual(second.date_start, self.at(6))
        self.assertEqual(first.state, "confirmed")

    def test_cancelled_booking_frees_the_slot(self):
        self.confirmed_booking().action_cancel()
        self.assertEqual(self.confirmed_booking().state, "confirmed")

    def test_access_code_unique_per_station(self):
        first = self.confirmed_booking()
        first_code = int(first.access_code)
        randbelow = "odoo.addons.carshare_booking.models.carshare_booking.secrets.randbelow"
        with patch(randbelow, side_effect=[first_code, first_code, 42]):
            second = self.confirmed_booking(vehicle_id=self.car_2.id)
        self.assertEqual(second.access_code, "000042")

    def test_access_code_digits(self):
        self.community.access_code_digits = 8
        self.assertRegex(self.confirmed_booking().access_code, r"^\d{8}$")
        with self.assertRaises(ValidationError):
            self.community.access_code_digits = 4
