"""Issue 15: device events act only on their own booking, readings only inside it."""

from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import IotCase


@tagged("post_install", "-at_install")
class TestMatching(IotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_agent = cls.create_driver("Paul Agent", "agent")

    def setUp(self):
        super().setUp()
        # X from 2 to 4 hours from now, then Y, another driver's, from 5 to 7, on the same car.
        self.x = self.confirmed_booking()
        self.y = self.confirmed_booking(self.at(5), self.at(7), partner_id=self.other_agent.id)

    def taken(self, code=None, ts=None, slot="A1"):
        data = {"slot": slot, **({"code": code} if code else {})}
        return self.receive(self.keybox, "key.taken", data, ts=ts)[0]

    def returned(self, ts=None, slot="A1", **data):
        return self.receive(self.keybox, "key.returned", {"slot": slot, **data}, ts=ts)[0]

    def drive_x(self, km=42):
        with freeze_time(self.at(2)):
            self.taken(self.x.access_code)
        with freeze_time(self.at(4)):
            self.returned(odometer=1000 + km)
        self.assertEqual(self.x.state, "done")

    def test_late_key_taken_never_starts_the_next_booking(self):
        """The issue's case: an offline box flushes X's pick-up after X's return."""
        self.drive_x()
        disarms = self.commands(command_type="immobiliser.disarm")
        with freeze_time(self.at(4, 30)):
            with_code = self.taken(self.x.access_code, ts=self.at(2, 5))
            without_code = self.taken(ts=self.at(2, 6))
        for log in (with_code, without_code):
            self.assertEqual(log.state, "processed")
            self.assertEqual(log.booking_id, self.x)
            self.assertIn("already returned", log.result)
        self.assertEqual(self.y.state, "confirmed")
        self.assertEqual(self.commands(command_type="immobiliser.disarm"), disarms)
        self.assertEqual(self.x.date_return, self.at(4))

    def test_code_of_another_booking_never_starts_this_one(self):
        with freeze_time(self.at(5)):
            log = self.taken(self.x.access_code)
        # X's code, after X's window: it opens nothing; Y waits for its own code.
        self.assertEqual(log.result, "Key taken without a booking.")
        self.assertEqual((self.x.state, self.y.state), ("confirmed", "confirmed"))
        with freeze_time(self.at(5)):
            self.taken(self.y.access_code)
        self.assertEqual(self.y.state, "ongoing")

    def test_event_without_code_acts_in_its_own_window(self):
        with freeze_time(self.at(4, 50)):
            # Dated before Y's window: X's, still confirmed, is started (and returned later).
            log = self.taken(ts=self.at(3))
        self.assertEqual(log.booking_id, self.x)
        self.assertEqual((self.x.state, self.y.state), ("ongoing", "confirmed"))
        self.assertEqual(self.x.date_pickup, self.at(3), "dated by the event, not its arrival")

    def test_event_of_the_returns_very_second_is_its_own(self):
        """Odoo keeps the return to the second, the device's time has milliseconds (found
        through the real broker): a stale copy of the return still belongs to X."""
        self.drive_x()
        with freeze_time(self.at(4, 30)):
            log = self.returned(ts=self.at(4) + timedelta(milliseconds=734))
        self.assertEqual(log.booking_id, self.x)
        self.assertIn("already returned", log.result)

    def test_late_key_returned_never_returns_the_next_booking(self):
        self.drive_x()
        with freeze_time(self.at(5)):
            self.taken(self.y.access_code)
        with freeze_time(self.at(5, 10)):
            log = self.returned(ts=self.at(3, 59), odometer=1042)
        self.assertIn("already returned", log.result)
        self.assertEqual(self.y.state, "ongoing")

    def test_stale_telematics_reading_is_not_the_next_start(self):
        """The issue's 50 km billed 150: the telematics box's reading predates X's return."""
        with freeze_time(self.at(1)):
            self.receive(self.telematics, "telemetry", {"odometer": 1000})
        self.drive_x(km=100)
        with freeze_time(self.at(5)):
            self.taken(self.y.access_code)
        with freeze_time(self.at(6)):
            self.returned(odometer=1150)
        self.assertRecordValues(
            self.y, [{"odometer_start": 1100, "odometer_end": 1150, "distance_km": 50}]
        )

    def test_desk_start_takes_the_newer_telematics_reading(self):
        """Found by the generated sequences: X's key return is still in the box's buffer when
        a desk agent hands Y's car over without typing the odometer; the telematics box read
        1,100 after X's trip, so Y does not pay X's 100 km again."""
        with freeze_time(self.at(2)):
            self.taken(self.x.access_code)
        with freeze_time(self.at(4, 10)):
            self.receive(self.telematics, "telemetry", {"odometer": 1100})
        with freeze_time(self.at(5)):
            self.y.action_start()
        self.assertEqual(self.y.odometer_start, 1100)
        with freeze_time(self.at(6)):
            self.y.action_return(odometer=1130)
        self.assertEqual(self.y.distance_km, 30)

    def test_newest_reading_inside_the_booking_wins(self):
        self.drive_x(km=100)
        with freeze_time(self.at(5)):
            self.taken(self.y.access_code)
        with freeze_time(self.at(5, 30)):
            self.receive(self.telematics, "telemetry", {"odometer": 1120})
        with freeze_time(self.at(5, 40)):
            self.receive(self.telematics, "telemetry", {"odometer": 1140})
        with freeze_time(self.at(6)):
            self.returned()
        self.assertRecordValues(self.y, [{"distance_km": 40, "distance_check": False}])

    def test_no_reading_during_the_trip_is_held(self):
        with freeze_time(self.at(1)):
            self.receive(self.telematics, "telemetry", {"odometer": 1000})
        with freeze_time(self.at(2)):
            self.taken(self.x.access_code)
        with freeze_time(self.at(4)):
            self.returned()
        self.assertRecordValues(self.x, [{"state": "done", "distance_check": "held"}])
        self.assertIn("no odometer reading", self.x.distance_check_reason)

    def test_impossible_device_distances_are_held(self):
        with freeze_time(self.at(2)):
            self.taken(self.x.access_code)
        with freeze_time(self.at(2, 30)):
            self.returned(odometer=1512)
        self.assertRecordValues(
            self.x, [{"state": "done", "distance_km": 512, "distance_check": "held"}]
        )
        with freeze_time(self.at(5)):
            self.taken(self.y.access_code)
        with freeze_time(self.at(6)):
            log = self.returned(odometer=1200)
        # Behind Y's pick-up (1512): held with the reading, the booking still returned.
        self.assertEqual(log.state, "processed")
        self.assertRecordValues(
            self.y, [{"state": "done", "odometer_end": 1512, "distance_check": "held"}]
        )
        self.assertIn("(1200 km) is lower", self.y.distance_check_reason)

    def test_new_broker_session_pushes_the_active_codes(self):
        pushes = self.commands(command_type="code.push", device_id=self.keybox.id)
        with freeze_time(self.at(0, 10)):
            log = self.receive(self.keybox, "status", {"state": "online", "session_present": True})[
                0
            ]
        self.assertEqual(self.commands(command_type="code.push", device_id=self.keybox.id), pushes)
        with freeze_time(self.at(0, 20)):
            log = self.receive(
                self.keybox, "status", {"state": "online", "session_present": False}
            )[0]
        self.assertIn("sent again", log.result)
        new = self.commands(command_type="code.push", device_id=self.keybox.id) - pushes
        self.assertEqual(
            {command.params["code"] for command in new}, {self.x.access_code, self.y.access_code}
        )
        self.assertEqual(set(new.mapped("state")), {"pending"})
