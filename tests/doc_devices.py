"""Devices written from docs/iot-protocol.md alone, not from the simulator: paho, hmac and an
RFC 8785 library. Key boxes, immobilisers and telematics boxes as the doc's tables describe them,
with the doc's connection (persistent session, a signed retained will made anew for each
connection, the online status with the same ``ts`` and the session-present flag, then the
buffered messages), its command handling (seen ids, refusals not recorded, expiry) and its
offline buffer (messages kept unchanged and sent once connected again).

Plain helpers, imported by the test modules (``from doc_devices import DocDevice``).
"""

import hashlib
import hmac
import json
import threading
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import rfc8785
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

# The doc's table "Devices": what each kind receives.
RECEIVES = {
    "keybox": {"code.push", "code.revoke", "unlock", "lock"},
    "immobiliser": {"code.push", "code.revoke", "immobiliser.arm", "immobiliser.disarm"},
    "telematics": {"unlock", "lock", "badge.authorise", "badge.revoke"},
}
SESSION_EXPIRY_SECONDS = 86400
DISCONNECT_WITH_WILL = 4


def utc_now():
    return datetime.now(timezone.utc)


def format_ts(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DocDevice:
    """One device; ``clock`` gives its UTC time (the test's clock when the test moves it)."""

    def __init__(self, port, identifier, secret, kind, clock=utc_now, slot=None):
        self.port, self.identifier, self.secret, self.kind = port, identifier, secret, kind
        self.clock, self.slot = clock, slot
        self.codes = {}  # code -> params of its push
        self.badges = {}  # badge -> params of its authorisation
        self.immobiliser_orders = []  # (command type, booking), in the order executed
        self.seen = {}  # command id -> (status, reason) of its acknowledgement
        self.buffer = []  # messages made while offline
        self.online = False
        self.connections = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=identifier, protocol=mqtt.MQTTv5
        )
        self.client.reconnect_delay_set(1, 2)
        self.client.on_connect = self.on_connect
        self.client.on_disconnect = self.on_disconnect
        self.client.on_message = self.on_message

    # -- messages ----------------------------------------------------------------------------

    def topic(self, channel):
        return f"carshare/v1/{self.identifier}/{channel}"

    def sign(self, message):
        unsigned = {key: value for key, value in message.items() if key != "sig"}
        digest = hmac.new(self.secret.encode(), rfc8785.dumps(unsigned), hashlib.sha256)
        return {**unsigned, "sig": digest.hexdigest()}

    def message(self, message_type, data, ts=None):
        return self.sign(
            {
                "v": 1,
                "id": uuid.uuid4().hex,
                "device": self.identifier,
                "ts": ts or format_ts(self.clock()),
                "type": message_type,
                "data": data,
            }
        )

    @staticmethod
    def wire(message):
        """What the firmware sends: spaces and floats as they come (json.dumps writes 5042.0)."""
        return json.dumps(message).encode()

    # -- connection ---------------------------------------------------------------------------

    def _new_will(self):
        """The will of the next connection, whose ``ts`` its online status repeats."""
        self.connection_ts = format_ts(self.clock())
        will = self.message("status", {"state": "offline"}, self.connection_ts)
        self.client.will_set(self.topic("status"), self.wire(will), qos=1, retain=True)

    def start(self):
        self._new_will()
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        self.client.connect("127.0.0.1", self.port, clean_start=False, properties=properties)
        self.client.loop_start()
        return self

    def on_connect(self, client, _userdata, flags, reason_code, _properties):
        if reason_code.is_failure:
            return
        client.subscribe(self.topic("cmd"), qos=1)
        online = {
            "state": "online",
            "firmware": "doc-1",
            "session_present": flags.session_present,
        }
        with self.lock:
            status = self.message("status", online, self.connection_ts)
            client.publish(self.topic("status"), self.wire(status), qos=1, retain=True)
            for message in self.buffer:
                client.publish(self.topic(self._channel(message)), self.wire(message), qos=1)
            self.buffer.clear()
            self.online = True
            self.connections += 1
        with self.changed:
            self.changed.notify_all()

    def on_disconnect(self, _client, _userdata, _flags, _reason_code, _properties):
        with self.lock:
            self.online = False
            self._new_will()
        with self.changed:
            self.changed.notify_all()

    def crash(self):
        """The box loses its network: the broker publishes its will; it buffers meanwhile."""
        self.client.disconnect(ReasonCode(PacketTypes.DISCONNECT, identifier=DISCONNECT_WITH_WILL))
        self.client.loop_stop()
        self.wait_for(lambda: not self.online)

    def reconnect(self):
        self._new_will()
        self.client.reconnect()
        self.client.loop_start()

    def stop(self):
        """The doc's graceful shutdown: a signed offline status, then a normal DISCONNECT."""
        if self.online:
            offline = self.message("status", {"state": "offline"})
            self.client.publish(self.topic("status"), self.wire(offline), 1, True).wait_for_publish(
                5
            )
            self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, predicate, timeout=30):
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), f"{self.identifier}: not in time"

    def wait_code(self, code, present=True, timeout=30):
        self.wait_for(lambda: (code in self.codes) == present, timeout)

    # -- sending ------------------------------------------------------------------------------

    @staticmethod
    def _channel(message):
        return {"ack": "ack", "telemetry": "telemetry", "status": "status"}.get(
            message["type"], "event"
        )

    def send(self, message_type, data, ts=None):
        """Publish now (QoS 1, until the broker's PUBACK), or keep it in the offline buffer."""
        with self.lock:
            message = self.message(message_type, data, ts)
            if not self.online:
                self.buffer.append(message)
                return message
            info = self.client.publish(self.topic(self._channel(message)), self.wire(message), 1)
        info.wait_for_publish(5)
        assert info.is_published(), f"{self.identifier}: {message_type} not acknowledged"
        return message

    def resend(self, message):
        """A message again, unchanged (same id, timestamp, signature)."""
        info = self.client.publish(self.topic(self._channel(message)), self.wire(message), 1)
        info.wait_for_publish(5)

    # -- commands -----------------------------------------------------------------------------

    def on_message(self, _client, _userdata, raw):
        try:
            command = json.loads(raw.payload)
            command_id = command["id"]
        except (ValueError, KeyError, TypeError):
            return  # step 1: ignored
        if command_id in self.seen:
            status, reason = self.seen[command_id]
        elif command.get("device") != self.identifier or self.sign(command)["sig"] != command.get(
            "sig"
        ):
            status, reason = "refused", "signature"  # not recorded as seen
        else:
            status, reason = self.execute(command)
            self.seen[command_id] = status, reason
        data = {"command_id": command_id, "status": status}
        if reason:
            data["reason"] = reason
        ack = self.message("ack", data)
        self.client.publish(self.topic("ack"), self.wire(ack), qos=1)
        with self.changed:
            self.changed.notify_all()

    def execute(self, command):
        expires_at = datetime.fromisoformat(command["expires_at"].replace("Z", "+00:00"))
        if expires_at <= self.clock():
            return "expired", None
        kind, params = command["type"], command["params"]
        if kind not in RECEIVES[self.kind]:
            return "refused", "unsupported"
        if kind == "code.push":
            self.codes[params["code"]] = params
        elif kind == "badge.authorise":
            self.badges[params["badge"]] = params
        elif kind in ("code.revoke", "badge.revoke"):
            held = self.codes if kind == "code.revoke" else self.badges
            value = params["code" if kind == "code.revoke" else "badge"]
            # A revoke only removes the code or badge if it belongs to that booking.
            if held.get(value, {}).get("booking") == params["booking"]:
                del held[value]
        elif kind.startswith("immobiliser."):
            self.immobiliser_orders.append((kind, params.get("booking")))
        return "ok", None
