from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CarsharePortalCase


@tagged("post_install", "-at_install")
class TestPortalModels(CarsharePortalCase):
    """The portal's rules and helpers, without a browser."""

    def test_record_rules(self):
        Booking = self.env["carshare.booking"]
        mine = Booking.with_user(self.alice).search([])
        self.assertEqual(mine, self.booking_soon | self.booking_later | self.booking_driving)
        self.assertFalse(Booking.with_user(self.bob).search([]))
        self.assertFalse(
            Booking.with_user(self.accountant).search([]),
            "employers see their employees' bookings in the portal only, without the codes",
        )
        with self.assertRaises(AccessError):
            self.booking_later.with_user(self.bob).read(["access_code"])
        with self.assertRaises(AccessError):
            self.booking_later.with_user(self.alice).write({"usage": "pro"})
        memberships = self.env["carshare.membership"].with_user(self.bob).search([])
        self.assertEqual(memberships.partner_id, self.bob.partner_id)

    def test_preview_gives_the_backend_message(self):
        Booking = self.env["carshare.booking"].sudo()
        start = self.booking_later.date_start
        values = {
            "community_id": self.community.id,
            "partner_id": self.bob.partner_id.id,
            "vehicle_id": self.car_booked.id,
            "date_start": start,
            "date_end": start + timedelta(hours=1),
        }
        count = Booking.search_count([])
        preview = Booking._carshare_portal_preview(values)
        self.assertEqual(preview["error"], Booking._unavailable_message())
        self.assertEqual(Booking.search_count([]), count, "the draft is rolled back")
        too_long = {**values, "vehicle_id": self.car.id, "date_end": start + timedelta(days=4)}
        self.assertIn(
            "A booking lasts between", Booking._carshare_portal_preview(too_long)["error"]
        )
        free = {**values, "vehicle_id": self.car.id}
        preview = Booking._carshare_portal_preview(free)
        self.assertFalse(preview["error"])
        self.assertIsNone(preview.get("price"), "no price without a tariff")

    def test_extension(self):
        booking = self.booking_later.sudo()
        end = booking.date_end + timedelta(hours=1)
        booking._carshare_portal_extend(end)
        self.assertEqual(booking.date_end, end)
        blocker = self._confirmed(self.car_booked, end + timedelta(hours=2), driver=self.bob)
        with self.assertRaises(UserError):
            booking._carshare_portal_extend(blocker.date_start)
        self.assertEqual(booking.date_end, end)

    def test_report_kinds_follow_the_booking(self):
        self.assertEqual(self.booking_later._carshare_portal_report_kinds(), [])
        self.assertEqual(self.booking_soon._carshare_portal_report_kinds(), ["checkout"])
        self.assertEqual(
            self.booking_driving._carshare_portal_report_kinds(), ["checkout", "checkin"]
        )

    def test_ics(self):
        ics = self.booking_later._carshare_portal_ics()
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR\r\n"))
        start = self.booking_later.date_start.strftime("%Y%m%dT%H%M%SZ")
        self.assertIn(f"DTSTART:{start}\r\n", ics)
        self.assertIn("LOCATION:1 place de la Gare\\, 61000\\, Alençon", ics)
        self.assertTrue(all(len(line.encode()) <= 75 for line in ics.split("\r\n")))

    def test_activation_tells_the_member(self):
        partner = self.env["res.partner"].create({"name": "Newcomer", "email": "new@example.com"})
        membership = self.env["carshare.membership"].create(
            {"community_id": self.community.id, "partner_id": partner.id}
        )
        membership._carshare_portal_notify_request()
        self.assertIn(self.manager.partner_id, membership.message_ids[0].partner_ids)
        membership.action_activate()
        message = membership.message_ids[0]
        self.assertIn(partner, message.partner_ids)
        self.assertIn("is active", message.body)
        self.assertEqual(membership.state, "active")

    def test_rate_limit_counts_records(self):
        community = self.community
        self.assertFalse(community._carshare_portal_rate_exceeded("carshare.booking", self.bob))
        community.portal_rate_limit = 3
        self.assertTrue(community._carshare_portal_rate_exceeded("carshare.booking", self.env.user))
        community.portal_rate_limit = 0
        self.assertFalse(
            community._carshare_portal_rate_exceeded("carshare.booking", self.env.user)
        )
