"""Issue 18: the bridge applies device messages in batches, one transaction a batch, each message
in a savepoint, in their order; telemetry is coalesced, never across an event; the batch is
acknowledged to the broker only once committed."""

import contextlib
from datetime import timedelta
from types import SimpleNamespace
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..cli import bridge as bridge_module
from ..iotlib import protocol
from .common import IotCase

BRIDGE_LOGGER = "odoo.addons.carshare_iot.cli.bridge"
MESSAGE_LOGGER = "odoo.addons.carshare_iot.models.carshare_iot_message"
NOT_APPLIED = "Newer readings followed at once: not applied."


def telemetry(ts, keys):
    return {"ts": protocol.format_ts(ts), "data": dict.fromkeys(keys, 1)}


@tagged("post_install", "-at_install")
class TestBatch(IotCase):
    def setUp(self):
        super().setUp()
        self.booking = self.confirmed_booking()
        self.code = self.booking.access_code
        self.Message = self.env["carshare.iot.message"]

    def signed(self, device, message_type, data, secret=None, **message):
        """(topic, payload) of a signed device message, as the broker delivers it."""
        signed = protocol.sign(
            protocol.device_message(device.identifier, message_type, data, **message),
            secret or device.secret,
        )
        topic = protocol.topic(device.identifier, protocol.channel_of(message_type))
        return topic, protocol.encode(signed)

    def apply(self, *delivered):
        """The bridge's batch of (topic, payload): returns the log rows of the messages, in
        their order (an empty recordset for a message that left none)."""
        received = [
            (topic, protocol.parse_device_message(topic, payload)) for topic, payload in delivered
        ]
        bridge_module.apply_batch(self.env, received)
        return [
            self.Message.search([("message_id", "=", parsed[2]["id"])]) for _t, parsed in received
        ]

    def test_a_failing_message_is_rolled_back_alone(self):
        original = type(self.keybox)._on_door_opened

        def door_opened(device, data, moment):
            device.name = "renamed by the failing message"
            if data["door"] == "broken":
                raise RuntimeError("a bug in an event handler")
            return original(device, data, moment)

        with (
            freeze_time(self.at(2)),
            patch.object(type(self.keybox), "_on_door_opened", door_opened),
            mute_logger(BRIDGE_LOGGER),
        ):
            taken, broken, returned = self.apply(
                self.signed(self.keybox, "key.taken", {"slot": "A1", "code": self.code}),
                self.signed(self.keybox, "door.opened", {"door": "broken"}),
                self.signed(self.keybox, "key.returned", {"slot": "A1", "odometer": 1030}),
            )
        self.assertFalse(broken, "nothing of the failing message stays, not even its log row")
        self.assertNotEqual(self.keybox.name, "renamed by the failing message")
        self.assertRecordValues(taken | returned, [{"state": "processed"}, {"state": "processed"}])
        self.assertRecordValues(self.booking, [{"state": "done", "odometer_end": 1030}])

    def test_messages_are_applied_in_their_order(self):
        """Odometer 1010 at the pick-up, 1042 at the return: the readings around the events
        are applied between them, not coalesced across them."""
        with freeze_time(self.at(2)):
            logs = self.apply(
                self.signed(self.telematics, "telemetry", {"odometer": 1010, "battery_level": 81}),
                self.signed(self.keybox, "key.taken", {"slot": "A1", "code": self.code}),
                self.signed(
                    self.telematics,
                    "telemetry",
                    {"odometer": 1042, "battery_level": 55},
                    ts=self.at(2, 1),
                ),
                self.signed(self.keybox, "key.returned", {"slot": "A1"}, ts=self.at(2, 2)),
            )
        self.assertEqual([log.result for log in logs].count(NOT_APPLIED), 0)
        self.assertRecordValues(
            self.booking,
            [
                {
                    "state": "done",
                    "odometer_start": 1010,
                    "odometer_end": 1042,
                    "distance_km": 32,
                    "energy_start": 81,
                    "energy_end": 55,
                }
            ],
        )

    def test_consecutive_telemetry_is_coalesced(self):
        with freeze_time(self.at(1)):
            readings = [
                self.signed(
                    self.telematics,
                    "telemetry",
                    {"odometer": 1000 + minute, "battery_level": 80 - minute},
                    ts=self.at(1) - timedelta(minutes=5 - minute),
                )
                for minute in range(4)
            ]
            logs = self.apply(*readings)
        self.assertEqual([log.result for log in logs], [NOT_APPLIED] * 3 + ["Readings recorded."])
        self.assertEqual({log.state for log in logs}, {"processed"})
        self.assertTrue(all(log.dedup_key for log in logs), "each one processed once")
        self.assertEqual(self.telematics.odometer, 1003)
        self.assertEqual(self.car.carshare_battery_level, 77)
        self.assertEqual(self.telematics.telemetry_at, (self.at(1) - timedelta(minutes=2)))

    def test_a_forged_reading_supersedes_nothing(self):
        with freeze_time(self.at(1)), mute_logger(MESSAGE_LOGGER):
            genuine, forged = self.apply(
                self.signed(self.telematics, "telemetry", {"odometer": 1010}),
                self.signed(
                    self.telematics,
                    "telemetry",
                    {"odometer": 1999},
                    secret="0" * 64,
                    ts=self.at(1) + timedelta(seconds=1),
                ),
            )
        self.assertEqual((genuine.result, forged.state), ("Readings recorded.", "rejected"))
        self.assertEqual(self.telematics.odometer, 1010)

    def test_the_bridge_acknowledges_after_the_commit(self):
        """Acks go to the broker after the batch's transaction, in the messages' order, refused
        ones included; none when the bridge stops before the transaction."""
        events = []
        payloads = [
            self.signed(self.keybox, "door.opened", {"door": "keybox"}),
            ("carshare/v1/test-keybox/event", b"not json"),
            self.signed(self.keybox, "door.opened", {"door": "keybox"}),
        ]
        messages = [
            SimpleNamespace(topic=topic, payload=payload, mid=mid, qos=1)
            for mid, (topic, payload) in enumerate(payloads, start=1)
        ]

        def in_transaction(work):
            result = work(self.env)
            events.append("commit")
            return result

        bridge = bridge_module.Bridge(self.env.cr.dbname, SimpleNamespace())
        bridge.client = SimpleNamespace(ack=lambda mid, _qos: events.append(mid))
        with (
            patch.object(bridge, "_in_transaction", in_transaction),
            mute_logger(BRIDGE_LOGGER, MESSAGE_LOGGER),
        ):
            bridge._handle_batch(messages)
        self.assertEqual(events, ["commit", 1, 2, 3])

        events.clear()
        with (
            patch.object(bridge, "_in_transaction", lambda work: None),
            mute_logger(MESSAGE_LOGGER),
        ):
            bridge._handle_batch(messages)
        self.assertEqual(events, [], "stopping before the commit: the broker delivers again")

    def test_device_lookup_follows_renaming_and_archiving(self):
        with freeze_time(self.at(1)):
            self.assertTrue(self.apply(self.signed(self.keybox, "door.opened", {"door": "a"}))[0])
            old = self.signed(self.keybox, "door.opened", {"door": "b"})
            self.keybox.identifier = "test-keybox-renamed"
            with mute_logger(MESSAGE_LOGGER):
                self.assertFalse(self.apply(old)[0], "the old identifier is unknown at once")
            self.assertTrue(self.apply(self.signed(self.keybox, "door.opened", {"door": "c"}))[0])
            self.keybox.active = False
            with mute_logger(MESSAGE_LOGGER):
                self.assertFalse(
                    self.apply(self.signed(self.keybox, "door.opened", {"door": "d"}))[0]
                )


@tagged("post_install", "-at_install")
class TestCoalescing(IotCase):
    """The coalescing rule on generated batches: devices a and b send telemetry with various
    readings and times, events and other messages."""

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from("ab"),
                st.sampled_from(("telemetry", "telemetry", "telemetry", "event", "status")),
                st.integers(0, 5),
                st.frozensets(st.sampled_from(("odometer", "charging", "trigger")), max_size=3),
            ),
            max_size=12,
        )
    )
    def test_superseded_telemetry(self, items):
        start = protocol.utcnow()
        received = [
            (
                f"carshare/v1/{device}/{channel}",
                (device, channel, telemetry(start + timedelta(seconds=second), keys)),
            )
            for device, channel, second, keys in items
        ]
        superseded = bridge_module.superseded_telemetry(received, lambda *_args: True)
        for index, (device, channel, second, keys) in enumerate(items):
            later = [(j, item) for j, item in enumerate(items) if j > index and item[0] == device]
            newer = next(iter(later), None)
            expected = bool(
                channel == "telemetry"
                and "trigger" not in keys
                and newer
                and newer[1][1] == "telemetry"
                and newer[1][2] >= second
                and keys - {"trigger"} <= newer[1][3]
                and not any(item[1] == "event" for item in items[index + 1 : newer[0]])
            )
            self.assertEqual(index in superseded, expected, (index, items))


class Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestBatchAsOneByOne(IotCase):
    """A batch applied at once leaves what its messages applied one by one, each in a savepoint
    (the way the bridge falls back to when one fails), leave: the same log rows in the same
    order, the same booking, device and vehicle; on generated batches of events, telemetry,
    redeliveries, replays of an earlier batch, forged, stale and unknown devices' messages, and
    handlers failing with a business error or a bug."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.booking = cls.confirmed_booking()
        cls.Message = cls.env["carshare.iot.message"]

    def signed(self, device, message_type, data, secret=None, **message):
        signed = protocol.sign(
            protocol.device_message(device.identifier, message_type, data, **message),
            secret or device.secret,
        )
        return protocol.topic(device.identifier, protocol.channel_of(message_type)), signed

    def pool(self):
        """The messages a batch is drawn from, at the booking's third hour."""
        code = self.booking.access_code
        ghost = protocol.sign(protocol.device_message("ghost-1", "door.opened", {}), "0" * 64)
        return [
            self.signed(self.keybox, "key.taken", {"slot": "A1", "code": code}),
            self.signed(self.keybox, "key.returned", {"slot": "A1", "odometer": 1042}),
            self.signed(self.keybox, "code.typed", {"code": code, "accepted": True}),
            self.signed(self.keybox, "code.typed", {"code": "000000", "accepted": False}),
            self.signed(self.keybox, "door.opened", {"door": "blocked"}),
            self.signed(self.keybox, "door.opened", {"door": "bug"}),
            self.signed(self.keybox, "door.opened", {"door": "keybox"}, secret="1" * 64),
            self.signed(self.keybox, "door.opened", {"door": "keybox"}, ts=self.at(-24 * 8)),
            self.signed(self.telematics, "telemetry", {"odometer": 1010, "battery_level": 70}),
            self.signed(self.telematics, "telemetry", {"odometer": 1020}, ts=self.at(2, 1)),
            self.signed(self.other_keybox, "door.opened", {"door": "keybox"}),
            (protocol.topic("ghost-1", "event"), ghost),
        ]

    def outcome(self, earlier, batch, one_by_one):
        """What applying ``earlier`` then ``batch`` leaves (rolled back after)."""
        original = type(self.keybox)._on_door_opened

        def door_opened(device, data, moment):
            device.name = "changed by a failing message"
            if data["door"] == "blocked":
                raise UserError(device.env._("The door is blocked."))
            if data["door"] == "bug":
                raise RuntimeError("a bug in an event handler")
            return original(device, data, moment)

        start = self.Message.search([], order="id desc", limit=1).id or 0
        found = None
        with (
            patch.object(type(self.keybox), "_on_door_opened", door_opened),
            mute_logger(BRIDGE_LOGGER, MESSAGE_LOGGER),
            contextlib.suppress(Rollback),
            self.env.cr.savepoint(),
        ):
            for received in (earlier, batch):
                parsed = [
                    (topic, protocol.parse_device_message(topic, protocol.encode(m)))
                    for topic, m in received
                ]
                if one_by_one:
                    with patch.object(
                        type(self.Message), "_receive_batch", side_effect=RuntimeError
                    ):
                        bridge_module.apply_batch(self.env, parsed)
                else:
                    bridge_module.apply_batch(self.env, parsed)
            logs = self.Message.search([("id", ">", start)], order="id")
            found = (
                logs.read(LOG_FIELDS),
                self.booking.read(["state", "odometer_start", "odometer_end"]),
                self.keybox.read(["name", "last_seen"]),
                self.telematics.read(["odometer", "telemetry_at"]),
                self.car.read(["carshare_battery_level"]),
            )
            raise Rollback
        for row in found[0]:
            row.pop("id")
        return found

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(
        st.lists(st.integers(0, 11), max_size=3),
        st.lists(st.integers(0, 11), min_size=1, max_size=10),
    )
    def test_a_batch_applies_as_one_by_one(self, earlier, batch):
        with freeze_time(self.at(2, 2)):
            pool = self.pool()
            earlier = [pool[index] for index in earlier]
            batch = [pool[index] for index in batch]
            self.assertEqual(
                self.outcome(earlier, batch, one_by_one=False),
                self.outcome(earlier, batch, one_by_one=True),
            )


LOG_FIELDS = [
    "device_id",
    "company_id",
    "topic",
    "channel",
    "message_type",
    "message_id",
    "dedup_key",
    "device_ts",
    "state",
    "result",
    "excerpt",
    "booking_id",
    "command_id",
]
