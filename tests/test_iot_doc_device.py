"""Issue 15: a key box written from docs/iot-protocol.md alone (not the simulator: paho, hmac and
an RFC 8785 library) drives consecutive bookings through Mosquitto and the real bridge, with
restarts of the bridge and a stale event from its buffer."""

import hashlib
import hmac
import json
import threading
import uuid
from datetime import datetime, timezone

import rfc8785
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

pytest_plugins = ["iot_fixtures"]


def now_ts():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DocKeyBox:
    """The doc's key box: signs the RFC 8785 form, sends numbers as its firmware prints them."""

    def __init__(self, mqtt, port, identifier, secret, slot):
        self.identifier, self.secret, self.slot = identifier, secret, slot
        self.codes = {}
        self.seen = {}
        self.changed = threading.Condition()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=identifier, protocol=mqtt.MQTTv5
        )
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        self.port = port
        self.mqtt = mqtt
        self.connection_ts = None

    def topic(self, channel):
        return f"carshare/v1/{self.identifier}/{channel}"

    def sign(self, message):
        unsigned = {key: value for key, value in message.items() if key != "sig"}
        digest = hmac.new(self.secret.encode(), rfc8785.dumps(unsigned), hashlib.sha256)
        return {**message, "sig": digest.hexdigest()}

    def message(self, message_type, data, ts=None):
        return {
            "v": 1,
            "id": uuid.uuid4().hex,
            "device": self.identifier,
            "ts": ts or now_ts(),
            "type": message_type,
            "data": data,
        }

    def wire(self, message):
        """What the firmware sends: spaces and floats as they come (json.dumps writes 5042.0)."""
        return json.dumps(self.sign(message)).encode()

    def start(self):
        self.connection_ts = now_ts()
        will = self.message("status", {"state": "offline"}, self.connection_ts)
        self.client.will_set(self.topic("status"), self.wire(will), qos=1, retain=True)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 86400
        self.client.connect("127.0.0.1", self.port, clean_start=False, properties=properties)
        self.client.loop_start()
        return self

    def stop(self):
        offline = self.message("status", {"state": "offline"})
        self.client.publish(self.topic("status"), self.wire(offline), 1, True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()

    def on_connect(self, client, _userdata, flags, reason_code, _properties):
        client.subscribe(self.topic("cmd"), qos=1)
        online = {"state": "online", "firmware": "doc-1", "session_present": flags.session_present}
        message = self.message("status", online, self.connection_ts)
        client.publish(self.topic("status"), self.wire(message), qos=1, retain=True)

    def on_message(self, _client, _userdata, raw):
        command = json.loads(raw.payload)
        if command["id"] in self.seen:
            status = self.seen[command["id"]]
        elif self.sign(command)["sig"] != command.get("sig"):
            status = "refused"  # not recorded: a forged id must not block the genuine one
        else:
            status = "ok"
            params = command["params"]
            if command["type"] == "code.push":
                self.codes[params["code"]] = params
            elif (
                command["type"] == "code.revoke"
                and self.codes.get(params["code"], {}).get("booking") == params["booking"]
            ):
                del self.codes[params["code"]]
            self.seen[command["id"]] = status
        ack = self.message("ack", {"command_id": command["id"], "status": status})
        self.client.publish(self.topic("ack"), self.wire(ack), qos=1)
        with self.changed:
            self.changed.notify_all()

    def wait_code(self, code, present=True, timeout=30):
        with self.changed:
            assert self.changed.wait_for(lambda: (code in self.codes) == present, timeout)

    def send(self, message_type, data, ts=None):
        message = self.message(message_type, data, ts)
        self.client.publish(self.topic("event"), self.wire(message), qos=1).wait_for_publish(5)
        return message


def test_a_device_written_from_the_doc(iot, iot_world, iot_broker, iot_bridge):
    broker, bridge = iot_broker, iot_bridge
    car = iot_world.vehicle(odometer=5000)
    device = iot_world.keybox
    box = DocKeyBox(iot.mqtt, broker.port, device["identifier"], device["secret"], car["slot"])
    box.start()
    try:
        first = iot_world.book(car, minutes=30)
        box.wait_code(first["access_code"])
        taken_at = now_ts()
        box.send("key.taken", {"slot": car["slot"], "code": first["access_code"]}, taken_at)
        iot_world.wait_state(first, "ongoing")
        # 5042.0 on the wire, 5042 in the signed text: accepted (RFC 8785).
        box.send("key.returned", {"slot": car["slot"], "odometer": 5042.0})
        first = iot_world.wait_state(first, "done")
        assert (first["odometer_start"], first["odometer_end"]) == (5000, 5042)
        box.wait_code(first["access_code"], present=False)

        second = iot_world.book(car, minutes=30)
        box.wait_code(second["access_code"])
        bridge.kill()
        # While the bridge is down: the box flushes a stale copy of the first pick-up (a new
        # message, dated in the first booking's window), then the second driver takes the key.
        box.send("key.taken", {"slot": car["slot"]}, taken_at)
        box.send("key.taken", {"slot": car["slot"], "code": second["access_code"]})
        bridge.start()
        second = iot_world.wait_state(second, "ongoing")
        stale = iot_world.messages(
            [("booking_id", "=", first["id"]), ("message_type", "=", "key.taken")]
        )
        assert any("already returned" in (log["result"] or "") for log in stale)
        box.send("key.returned", {"slot": car["slot"], "odometer": 5070})
        second = iot_world.wait_state(second, "done")
        assert second["distance_km"] == 28
        assert iot_world.booking(first["id"])["distance_km"] == 42
        assert bridge.alive()
    finally:
        box.stop()
