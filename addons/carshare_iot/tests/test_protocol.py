import json
import re
from datetime import datetime, timezone

from odoo.tests import BaseCase, tagged

from ..iotlib import mosquitto, protocol


@tagged("post_install", "-at_install")
class TestProtocol(BaseCase):
    def message(self, **data):
        return protocol.device_message("box-1", "key.taken", {"slot": "A1", **data})

    def test_signature_covers_every_field(self):
        signed = protocol.sign(self.message(), "s3cret")
        self.assertTrue(protocol.verify(signed, "s3cret"))
        self.assertFalse(protocol.verify(signed, "other"))
        for tampered in (
            {**signed, "ts": protocol.format_ts(datetime(2030, 1, 1))},
            {**signed, "data": {"slot": "A2"}},
            {**signed, "device": "box-2"},
        ):
            self.assertFalse(protocol.verify(tampered, "s3cret"))
        self.assertFalse(protocol.verify(self.message(), "s3cret"), "unsigned")

    def test_canonical_form_ignores_key_order(self):
        message = self.message(code="123456")
        reordered = dict(reversed(list(message.items())))
        self.assertEqual(protocol.canonical(message), protocol.canonical(reordered))
        self.assertNotIn(b" ", protocol.canonical(message))

    def test_canonical_form_is_rfc_8785(self):
        """A device signing the shortest form of its numbers, as RFC 8785 writes them, is
        accepted whatever spelling it sends (the issue's 18400 against 18400.0)."""
        message = protocol.device_message(
            "box-1", "key.returned", {"slot": "A1", "odometer": 18400, "energy": 55.5}
        )
        signed = protocol.sign(message, "s")
        payload = protocol.encode(signed).replace(b'"odometer":18400', b'"odometer":18400.0')
        self.assertIn(b"18400.0", payload)
        received = protocol.parse_device_message("carshare/v1/box-1/event", payload)[2]
        self.assertTrue(protocol.verify(received, "s"))
        self.assertIn(b'"odometer":18400,', protocol.canonical(received))
        text = self.message(code="123456")
        text["data"]["slot"] = "é/€"
        self.assertIn("é/€".encode(), protocol.canonical(text), "no escapes beyond RFC 8785's")
        # Beyond what a double holds exactly: refused rather than signed differently.
        self.assertFalse(protocol.verify({**signed, "v": 2**60}, "s"))

    def test_timestamps(self):
        moment = datetime(2030, 1, 15, 8, 0, 1, 250000, tzinfo=timezone.utc)
        self.assertEqual(protocol.format_ts(moment), "2030-01-15T08:00:01.250Z")
        self.assertEqual(protocol.parse_ts("2030-01-15T08:00:01.25Z"), moment)
        self.assertEqual(protocol.parse_ts("2030-01-15T08:00:01Z"), moment.replace(microsecond=0))
        for bad in ("2030-01-15 08:00:01", "2030-13-45T08:00:01Z", 1700000000, None):
            with self.assertRaises(protocol.ProtocolError):
                protocol.parse_ts(bad)

    def test_topics(self):
        self.assertEqual(protocol.topic("box-1", "event"), "carshare/v1/box-1/event")
        self.assertEqual(protocol.parse_topic("carshare/v1/box-1/event"), ("box-1", "event"))
        for bad in (
            "carshare/v2/box-1/event",
            "carshare/v1/box-1/other",
            "carshare/v1/+/event",
            "carshare/v1/a/b/event",
            "carshare/v1/box 1/event",
        ):
            with self.assertRaises(protocol.ProtocolError):
                protocol.parse_topic(bad)
        self.assertEqual(
            protocol.bridge_subscriptions(),
            [
                "$share/carshare-bridge/carshare/v1/+/ack",
                "$share/carshare-bridge/carshare/v1/+/event",
                "$share/carshare-bridge/carshare/v1/+/telemetry",
                "carshare/v1/+/status",
            ],
        )
        self.assertEqual(
            protocol.bridge_subscriptions(shared=False),
            [f"carshare/v1/+/{channel}" for channel in ("ack", "event", "telemetry", "status")],
        )

    def assertRefused(self, payload, reason, channel="event"):
        with self.assertRaises(protocol.ProtocolError) as caught:
            protocol.validate_device_message(protocol.decode(payload), channel)
        self.assertEqual(caught.exception.reason, reason)

    def test_payloads_refused_before_parsing(self):
        signed = protocol.sign(self.message(), "s")
        self.assertRefused(b"x" * (protocol.MAX_PAYLOAD_BYTES + 1), "too_big")
        self.assertRefused(b"{not json", "bad_json")
        self.assertRefused(b"\xff\xfe", "bad_json")
        self.assertRefused(b"[1, 2]", "bad_json")
        self.assertRefused(b'{"v": NaN}', "bad_json")
        self.assertRefused(b'{"v": 1, "v": 1}', "bad_json")
        self.assertRefused(b"[" * 5000 + b"]" * 5000, "too_big")
        self.assertRefused(b"[" * 4000 + b"]" * 4000, "bad_json")
        self.assertRefused(protocol.encode({**signed, "extra": 1}), "unknown_key")
        self.assertRefused(protocol.encode({**signed, "v": "1"}), "bad_type")
        self.assertRefused(protocol.encode({**signed, "v": 2}), "bad_value")
        self.assertRefused(protocol.encode({**signed, "v": True}), "bad_type")
        self.assertRefused(protocol.encode({**signed, "type": "key.stolen"}), "bad_value")
        self.assertRefused(protocol.encode({**signed, "data": {}}), "missing_key")
        self.assertRefused(protocol.encode({**signed, "data": {"slot": 7}}), "bad_type")
        self.assertRefused(protocol.encode({**signed, "data": {"slot": "A" * 40}}), "bad_value")
        self.assertRefused(protocol.encode({**signed, "ts": "yesterday"}), "bad_value")
        self.assertRefused(
            protocol.encode({k: v for k, v in signed.items() if k != "sig"}), "missing_key"
        )
        self.assertRefused(protocol.encode(signed), "bad_value", channel="telemetry")
        self.assertEqual(
            protocol.validate_device_message(protocol.decode(protocol.encode(signed)), "event"),
            signed,
        )

    def test_numbers(self):
        telemetry = protocol.device_message("tele-1", "telemetry", {"battery_level": 101})
        signed = protocol.encode(protocol.sign(telemetry, "s"))
        self.assertRefused(signed, "bad_value", channel="telemetry")
        infinite = signed.replace(b'"battery_level":101', b'"battery_level":1e999')
        self.assertRefused(infinite, "bad_value", channel="telemetry")
        huge = signed.replace(b'"battery_level":101', b'"battery_level":' + b"9" * 9000)
        self.assertRefused(huge, "too_big", channel="telemetry")
        self.assertRefused(huge[:8000] + b"}}", "bad_json", channel="telemetry")
        telemetry["data"] = {"odometer": 12345.6, "charging": False, "range_km": 120}
        payload = protocol.encode(protocol.sign(telemetry, "s"))
        self.assertTrue(protocol.validate_device_message(protocol.decode(payload), "telemetry"))

    def test_commands(self):
        command = protocol.sign(
            protocol.command(
                "box-1",
                "code.push",
                {
                    "code": "123456",
                    "booking": "BK/0001",
                    "valid_from": "2030-01-15T08:00:00.000Z",
                    "valid_until": "2030-01-15T12:00:00.000Z",
                    "slot": "A1",
                },
                datetime(2030, 1, 15, 12),
            ),
            "s",
        )
        self.assertEqual(
            protocol.validate_command(protocol.decode(protocol.encode(command))), command
        )
        with self.assertRaises(protocol.ProtocolError):
            protocol.validate_command({**command, "params": {"code": "12"}})

    def test_json_schemas_describe_every_message(self):
        schemas = protocol.json_schemas()
        messages = [title for title in schemas if not title.startswith("$defs/")]
        self.assertEqual(len(messages), len(protocol.COMMANDS) + len(protocol.EVENTS) + 3)
        key_taken = schemas["event key.taken"]
        self.assertEqual(key_taken["allOf"], [{"$ref": "#/$defs/device_message"}])
        self.assertEqual(key_taken["properties"]["type"], {"const": "key.taken"})
        data = key_taken["properties"]["data"]
        self.assertEqual(data["required"], ["slot"])
        self.assertEqual(data["properties"]["code"], {"$ref": "#/$defs/code"})
        self.assertFalse(data["additionalProperties"])
        envelope = schemas["$defs/command"]
        self.assertEqual(
            envelope["required"], ["v", "id", "device", "ts", "type", "params", "sig", "expires_at"]
        )
        references = {
            value.split("/")[-1]
            for value in re.findall(r'"(#/\$defs/[a-z_]+)"', json.dumps(schemas))
        }
        self.assertEqual(references, {t.split("/")[1] for t in schemas if t.startswith("$defs/")})

    def test_mosquitto_password_hash(self):
        # Written by `mosquitto_passwd -b passwd dev1 secret123` (Mosquitto 2.0.11).
        reference = (
            "$7$101$mpDJtJcmUx8g+hh5$T56cY3qo2nXDBfSZjd97ccwJD21AFWIPw1u29I2m8nfqdxnGQju8hcoKW6"
            "cWOfJwFgjxFfNL/x4jO9ZpBfCwhQ=="
        )
        self.assertTrue(mosquitto.check_password("secret123", reference))
        self.assertFalse(mosquitto.check_password("secret124", reference))
        hashed = mosquitto.password_hash("p4ss")
        self.assertRegex(hashed, r"^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$")
        self.assertTrue(mosquitto.check_password("p4ss", hashed))
        self.assertNotEqual(hashed, mosquitto.password_hash("p4ss"), "salted")
