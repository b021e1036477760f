from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..iotlib import protocol
from .common import IotCase

MESSAGE_LOGGER = "odoo.addons.carshare_iot.models.carshare_iot_message"


@tagged("post_install", "-at_install")
class TestInbound(IotCase):
    def setUp(self):
        super().setUp()
        self.booking = self.confirmed_booking()
        self.code = self.booking.access_code
        self.Message = self.env["carshare.iot.message"]

    def snapshot(self):
        """What a refused message must leave untouched."""
        self.env.invalidate_all()
        return (
            self.booking.read(["state", "odometer_start", "odometer_end", "vehicle_id"]),
            self.car.read(["carshare_battery_level", "carshare_range_km", "carshare_state"]),
            (self.keybox | self.telematics).read(["status", "last_seen", "odometer"]),
            self.env["carshare.iot.command"].search_count([]),
        )

    def test_full_booking_through_devices(self):
        with freeze_time(self.at(1, 50)):
            self.receive(self.telematics, "telemetry", {"odometer": 1000, "battery_level": 80})
            log, _message = self.receive(
                self.keybox, "code.typed", {"code": self.code, "accepted": True, "slot": "A1"}
            )
            self.assertEqual(log.result, f"Code of booking {self.booking.name}.")
            self.assertEqual(self.booking.state, "confirmed", "typing the code is not picking up")
            log, _message = self.receive(
                self.keybox, "key.taken", {"slot": "A1", "code": self.code}
            )
        self.assertRecordValues(log, [{"state": "processed", "booking_id": self.booking.id}])
        self.assertRecordValues(
            self.booking, [{"state": "ongoing", "odometer_start": 1000, "energy_start": 80}]
        )
        self.assertTrue(self.commands(self.booking, command_type="immobiliser.disarm"))
        with freeze_time(self.at(3)):
            self.receive(self.immobiliser, "ignition.on", {"code": self.code})
            self.receive(
                self.telematics,
                "telemetry",
                {"odometer": 1042, "battery_level": 55, "range_km": 150},
            )
        with freeze_time(self.at(4)):
            log, _message = self.receive(self.keybox, "key.returned", {"slot": "A1"})
        self.assertEqual(log.result, f"Booking {self.booking.name} returned.")
        self.assertRecordValues(
            self.booking,
            [{"state": "done", "odometer_end": 1042, "energy_end": 55, "distance_km": 42}],
        )
        self.assertTrue(self.commands(self.booking, command_type="immobiliser.arm"))
        self.assertEqual(self.car.carshare_range_km, 150)

    def test_duplicate_is_processed_once(self):
        with freeze_time(self.at(2)):
            first, message = self.receive(
                self.keybox, "key.taken", {"slot": "A1", "code": self.code}
            )
            self.assertEqual(self.booking.state, "ongoing")
            commands = self.env["carshare.iot.command"].search_count([])
            again = self.receive_raw(self.keybox, "key.taken", protocol.encode(message))
        self.assertEqual((first.state, again.state), ("processed", "duplicate"))
        self.assertEqual(self.env["carshare.iot.command"].search_count([]), commands)
        self.assertEqual(self.Message.search_count([("dedup_key", "=", message["id"])]), 1)

    def test_reordered_return_before_pick_up(self):
        with freeze_time(self.at(2, 30)):
            self.receive(self.telematics, "telemetry", {"odometer": 1030})
            self.receive(self.keybox, "key.returned", {"slot": "A1"})
            self.assertRecordValues(
                self.booking, [{"state": "done", "odometer_start": 1000, "odometer_end": 1030}]
            )
            log, _message = self.receive(
                self.keybox, "key.taken", {"slot": "A1", "code": self.code}, ts=self.at(2)
            )
        self.assertIn("already returned", log.result)
        self.assertEqual(self.booking.state, "done")
        self.assertFalse(self.keybox.message_ids.filtered(lambda m: "without" in (m.body or "")))

    def test_ignition_with_code_starts(self):
        with freeze_time(self.at(2)):
            log, _message = self.receive(
                self.immobiliser, "ignition.on", {"code": self.code, "odometer": 1001}
            )
        self.assertEqual(log.booking_id, self.booking)
        self.assertRecordValues(self.booking, [{"state": "ongoing", "odometer_start": 1001}])

    def test_badge_starts(self):
        with freeze_time(self.at(2)):
            self.receive(
                self.telematics, "badge.presented", {"badge": "04a224b1", "accepted": True}
            )
        self.assertEqual(self.booking.state, "ongoing")

    def test_wrong_code_and_key_without_booking(self):
        before = self.snapshot()
        with freeze_time(self.at(2)):
            log, _message = self.receive(
                self.keybox, "code.typed", {"code": "000000", "accepted": False}
            )
            self.assertEqual(log.result, "Wrong code.")
            log, _message = self.receive(self.keybox, "key.taken", {"slot": "A2"})
        self.assertEqual(log.result, "Key taken without a booking.")
        self.assertIn("slot A2 was taken without a booking", self.keybox.message_ids[0].body)
        self.assertEqual(self.booking.state, "confirmed")
        self.assertEqual(self.snapshot()[0], before[0])

    def test_business_error_is_logged_and_changes_nothing(self):
        with freeze_time(self.at(2)):
            self.receive(self.keybox, "key.taken", {"slot": "A1", "code": self.code})
        commands = self.env["carshare.iot.command"].search_count([])
        refusal = UserError("The vehicle is blocked for an inspection.")
        with (
            freeze_time(self.at(4)),
            patch.object(type(self.booking), "_record_checkin", side_effect=refusal),
        ):
            log, _message = self.receive(
                self.keybox, "key.returned", {"slot": "A1", "odometer": 1042}
            )
        self.assertEqual(log.state, "failed")
        self.assertIn("blocked for an inspection", log.result)
        self.assertRecordValues(self.booking, [{"state": "ongoing", "odometer_end": 0}])
        self.assertEqual(self.env["carshare.iot.command"].search_count([]), commands)

    @mute_logger(MESSAGE_LOGGER)
    def test_refused_messages_change_nothing(self):
        before = self.snapshot()
        logs = self.Message.search_count([])
        with freeze_time(self.at(2)):
            event = {"slot": "A1", "code": self.code}
            forged, _message = self.receive(self.keybox, "key.taken", event, secret="guessed")
            stale, _message = self.receive(self.keybox, "key.taken", event, ts=self.at(-24 * 8))
            future, _message = self.receive(self.keybox, "key.taken", event, ts=self.at(2, 10))
            wrong_kind, _message = self.receive(self.keybox, "ignition.on", {"code": self.code})
            message = protocol.sign(
                protocol.device_message("test-keybox-2", "key.taken", event), self.keybox.secret
            )
            mismatch = self.receive_raw(self.keybox, "key.taken", protocol.encode(message))
            self.assertEqual(
                [log.result for log in (forged, stale, future, wrong_kind, mismatch)],
                [
                    "bad_signature",
                    "stale_timestamp",
                    "future_timestamp",
                    "unsupported_event",
                    "device_mismatch",
                ],
            )
            self.assertEqual(
                set((forged | stale | future | mismatch).mapped("state")), {"rejected"}
            )
            self.assertEqual(self.Message.search_count([]), logs + 5)
            # Not even logged: nothing ties them to a known device.
            unknown = protocol.sign(protocol.device_message("ghost-1", "key.taken", event), "x")
            topic = protocol.topic("ghost-1", "event")
            for payload in (protocol.encode(unknown), b"{", b"x" * 9000, b"[]", b'{"v": 1}'):
                self.assertFalse(self.Message._receive(topic, payload))
            self.assertFalse(self.Message._receive("carshare/v1/test-keybox/cmd", b"{}"))
            self.assertFalse(self.Message._receive("elsewhere", protocol.encode(unknown)))
        self.assertEqual(self.Message.search_count([]), logs + 5)
        self.assertEqual(self.snapshot(), before)

    def test_replayed_message_after_processing(self):
        with freeze_time(self.at(2)):
            _log, taken = self.receive(self.keybox, "key.taken", {"slot": "A1", "code": self.code})
        with freeze_time(self.at(4)):
            self.receive(self.keybox, "key.returned", {"slot": "A1", "odometer": 1010})
            replay = self.receive_raw(self.keybox, "key.taken", protocol.encode(taken))
        self.assertEqual(replay.state, "duplicate")
        self.assertEqual(self.booking.state, "done")

    @mute_logger(MESSAGE_LOGGER)
    def test_telemetry_updates_the_vehicle_in_order(self):
        with freeze_time(self.at(0, 10)):
            self.receive(
                self.telematics,
                "telemetry",
                {"battery_level": 35.5, "range_km": 140.4, "charging": True},
            )
            log, _message = self.receive(
                self.telematics, "telemetry", {"battery_level": 90}, ts=self.at(0, 5)
            )
        self.assertEqual(log.result, "Older than the last telemetry: ignored.")
        self.assertRecordValues(
            self.car, [{"carshare_battery_level": 35.5, "carshare_range_km": 140}]
        )
        self.assertTrue(self.telematics.charging)
        log, _message = self.receive(self.keybox, "telemetry", {"battery_level": 10})
        self.assertEqual(log.result, "unsupported_telemetry")

    def test_position_kept_only_at_pick_up_and_return(self):
        position = {"lat": 48.4306, "lon": 0.0931}
        with freeze_time(self.at(2)):
            log, _message = self.receive(
                self.telematics, "telemetry", {"odometer": 1000, "position": position}
            )
            self.assertNotIn("position", log.excerpt)
            self.assertNotIn("48.43", log.excerpt)
            self.assertFalse(self.booking.pickup_latitude)
            self.receive(self.keybox, "key.taken", {"slot": "A1", "code": self.code})
            log, _message = self.receive(
                self.telematics, "telemetry", {"trigger": "pickup", "position": position}
            )
        self.assertNotIn("48.43", log.excerpt)
        self.assertRecordValues(
            self.booking, [{"pickup_latitude": 48.4306, "pickup_longitude": 0.0931}]
        )
        with freeze_time(self.at(3)):
            self.receive(self.telematics, "telemetry", {"position": {"lat": 48.5, "lon": 0.2}})
        with freeze_time(self.at(4)):
            self.receive(self.keybox, "key.returned", {"slot": "A1", "odometer": 1020})
            self.receive(
                self.telematics,
                "telemetry",
                {"trigger": "return", "position": {"lat": 48.4307, "lon": 0.0932}},
            )
        self.assertRecordValues(
            self.booking,
            [
                {
                    "pickup_latitude": 48.4306,
                    "return_latitude": 48.4307,
                    "return_longitude": 0.0932,
                }
            ],
        )
        stored = self.Message.search([("device_id", "=", self.telematics.id)]).mapped("excerpt")
        self.assertFalse([text for text in stored if "48.5" in text or "position" in text])

    def test_low_battery_moves_the_next_booking(self):
        self.booking.action_cancel()
        soon = self.confirmed_booking(start=self.at(1, 30))
        with freeze_time(self.at(0, 5)):
            self.receive(self.telematics, "telemetry", {"battery_level": 8, "range_km": 12})
        self.assertRecordValues(soon, [{"vehicle_id": self.car_2.id, "transfer_reason": "battery"}])
        push = self.commands(soon, command_type="code.push", device_id=self.keybox.id)
        self.assertEqual(push[-1].params["slot"], "A2")

    def test_status_follows_the_newest_message(self):
        with freeze_time(self.at(0, 10)):
            self.receive(self.keybox, "status", {"state": "online", "firmware": "2.1.0"})
            self.assertRecordValues(
                self.keybox,
                [{"status": "online", "firmware": "2.1.0", "last_seen": self.at(0, 10)}],
            )
            # The will, published by the broker, carries the time of the connection.
            log, _message = self.receive(
                self.keybox, "status", {"state": "offline"}, ts=self.at(0, 9)
            )
            self.assertEqual(self.keybox.status, "online")
            self.assertEqual(log.result, "Older than the current status: ignored.")
            self.receive(self.keybox, "status", {"state": "offline"}, ts=self.at(0, 10))
            self.assertEqual(self.keybox.status, "offline")
        # A retained status is delivered again, however old, when a bridge subscribes.
        with freeze_time(self.at(24 * 30)):
            log, _message = self.receive(
                self.keybox, "status", {"state": "online"}, ts=self.at(24 * 20)
            )
        self.assertEqual(self.keybox.status, "online")

    def test_alarm_tells_the_managers(self):
        self.keybox.message_subscribe(partner_ids=self.manager.partner_id.ids)
        self.receive(self.keybox, "alarm", {"kind": "forced_open", "detail": "door 3"})
        alarm = self.keybox.message_ids[0]
        self.assertIn("Alarm forced_open: door 3", alarm.body)
        self.assertIn(self.manager.partner_id, alarm.notified_partner_ids)

    def test_ignition_without_booking_raises_an_alarm(self):
        self.booking.action_cancel()
        with freeze_time(self.at(2)):
            log, _message = self.receive(self.telematics, "ignition.on", {"odometer": 1000})
        self.assertEqual(log.result, "Ignition without a booking.")
        self.assertIn("started without a booking", self.telematics.message_ids[0].body)

    def test_last_seen_written_rarely(self):
        with freeze_time(self.at(0, 1)):
            self.receive(self.keybox, "door.opened", {"door": "keybox"})
        with freeze_time(self.at(0, 1) + timedelta(seconds=10)):
            self.receive(self.keybox, "door.opened", {"door": "keybox"})
        self.assertEqual(self.keybox.last_seen, self.at(0, 1))
