from odoo.tests import freeze_time, tagged

from .common import BookingCase


@tagged("post_install", "-at_install")
class TestBookingCrons(BookingCase):
    def setUp(self):
        super().setUp()
        self.booking = self.confirmed_booking()
        self.Booking = self.env["carshare.booking"]

    def test_no_show(self):
        with freeze_time(self.at(2, 14)):
            self.Booking._cron_detect_no_shows()
        self.assertEqual(self.booking.state, "confirmed", "still within the grace period")
        with freeze_time(self.at(2, 16)):
            self.Booking._cron_detect_no_shows()
        self.assertEqual(self.booking.state, "no_show")
        self.assertIn("did not pick up", self.booking.message_ids[0].body)
        with freeze_time(self.at(2, 20)):
            rebooking = self.confirmed_booking(start=self.at(2, 30), partner_id=self.agent.id)
        self.assertEqual(rebooking.state, "confirmed", "the vehicle is released")

    def test_picked_up_booking_is_no_no_show(self):
        with freeze_time(self.at(2, 10)):
            self.booking.action_start()
        with freeze_time(self.at(3)):
            self.Booking._cron_detect_no_shows()
        self.assertEqual(self.booking.state, "ongoing")

    def test_late_return(self):
        with freeze_time(self.at(2)):
            self.booking.action_start()
        with freeze_time(self.at(4, 10)):
            self.Booking._cron_detect_late_returns()
        self.assertEqual(self.booking.late_minutes, 0, "within the grace period")
        self.assertFalse(self.booking.activity_ids)

        with freeze_time(self.at(4, 20)):
            self.Booking._cron_detect_late_returns()
        self.assertEqual(self.booking.late_minutes, 20)
        self.assertTrue(self.booking.late_notified)
        activity = self.booking.activity_ids
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual(activity.summary, "Vehicle not returned")
        late_mails = self.booking.message_ids.filtered(lambda m: "is not back" in (m.body or ""))
        self.assertEqual(late_mails.partner_ids, self.agent)

        with freeze_time(self.at(5)):
            self.Booking._cron_detect_late_returns()
        self.assertEqual(self.booking.late_minutes, 60)
        self.assertEqual(len(self.booking.activity_ids), 1, "told once")
        self.assertEqual(
            len(self.booking.message_ids.filtered(lambda m: "is not back" in (m.body or ""))), 1
        )

    def test_manager_defaults_to_creator(self):
        self.community.user_id = False
        booking = (
            self.env["carshare.booking"]
            .with_user(self.desk_user)
            .create(
                {
                    "community_id": self.community.id,
                    "partner_id": self.agent.id,
                    "vehicle_id": self.car.id,
                    "date_start": self.at(30),
                    "date_end": self.at(32),
                }
            )
        )
        self.assertEqual(booking.user_id, self.desk_user)

    def test_reminders(self):
        def reminders(text):
            return self.booking.message_ids.filtered(lambda m: text in (m.subject or ""))

        with freeze_time(self.at(0, 59)):
            self.Booking._cron_send_reminders()
        self.assertFalse(reminders("starts soon"))
        with freeze_time(self.at(1)):
            self.Booking._cron_send_reminders()
        with freeze_time(self.at(1, 30)):
            self.Booking._cron_send_reminders()
        self.assertEqual(len(reminders("starts soon")), 1)
        self.assertTrue(self.booking.reminder_start_sent)

        with freeze_time(self.at(2)):
            self.booking.action_start()
        with freeze_time(self.at(3, 29)):
            self.Booking._cron_send_reminders()
        self.assertFalse(reminders("ends soon"))
        with freeze_time(self.at(3, 30)):
            self.Booking._cron_send_reminders()
        with freeze_time(self.at(3, 45)):
            self.Booking._cron_send_reminders()
        self.assertEqual(len(reminders("ends soon")), 1)
        self.assertTrue(self.booking.reminder_end_sent)
