"""Simulated key box, immobiliser and telematics box speaking the carsharing MQTT protocol.

From the command line (an interactive prompt; ``help`` lists what the device can do)::

    cd addons/carshare_iot
    python -m iotlib.simulator --kind keybox --device MKEY-61-ALE --secret <secret> \
        --slots ALE-1,ALE-2 [--host 127.0.0.1 --port 1883 --username ... --password ...]

From Python (tests, benchmarks)::

    box = Device("MKEY-61-ALE", secret, "keybox", slots=["ALE-1"]).start()
    box.wait_for(lambda: box.codes)
    box.type_code("123456")
"""

import argparse
import cmd
import logging
import ssl
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from . import protocol

_logger = logging.getLogger(__name__)
SESSION_EXPIRY_SECONDS = 86400


class Device:
    """One device: verifies the commands it is sent, keeps its state, emits signed messages.

    While offline, emitted messages wait in ``outbox`` and leave at the next connection,
    as a real device buffers its events.
    """

    def __init__(
        self,
        identifier,
        secret,
        kind,
        host="127.0.0.1",
        port=1883,
        username=None,
        password=None,
        slots=(),
        firmware="sim-1.0",
        tls_ca_file=None,
    ):
        self.identifier = identifier
        self.secret = secret
        self.kind = kind
        self.firmware = firmware
        self.codes = {}  # code: {"booking", "valid_from", "valid_until", "slot"}
        self.badges = {}  # badge: {"booking", "valid_from", "valid_until"}
        self.slots = dict.fromkeys(slots, True)  # slot: key present
        self.armed = True
        self.locked = True
        self.readings = {"odometer": 0.0, "battery_level": 100.0, "range_km": 300.0}
        self.commands = []  # (command or raw payload, ack status) in order of arrival
        self.auto_ack = True
        self.outbox = []
        self.connected = threading.Event()
        self._connection_ts = None
        self._acks = {}
        self._changed = threading.Condition()
        self.client = self._client(host, port, username, password, tls_ca_file)

    # -- connection ------------------------------------------------------------------------------

    def _client(self, host, port, username, password, tls_ca_file):
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.identifier, protocol=mqtt.MQTTv5
        )
        if username:
            client.username_pw_set(username, password)
        if tls_ca_file:
            client.tls_set(ca_certs=tls_ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(0.2, 5)
        self._host, self._port = host, port
        return client

    def _arm_will(self):
        """The will of the next connection; the online status shares its timestamp."""
        self._connection_ts = protocol.utcnow()
        self.client.will_set(
            protocol.topic(self.identifier, "status"),
            self._payload(self._status("offline")),
            qos=1,
            retain=True,
        )

    def start(self, wait=10, clean_start=False):
        """Connect (the broker keeps the session and queued commands while offline). A device
        that kept nothing of its state (a simulator started anew) asks for a ``clean_start``: its
        online status then says the session is new, and Odoo pushes its codes again."""
        self._arm_will()
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        self.client.connect_async(
            self._host, self._port, clean_start=clean_start, properties=properties
        )
        self.client.loop_start()
        if wait and not self.connected.wait(wait):
            raise TimeoutError(f"{self.identifier} could not connect")
        return self

    def stop(self, graceful=True):
        """Disconnect: gracefully (status offline), or as a crash (the broker sends the will)."""
        if graceful and self.connected.is_set():
            offline = self._status("offline", protocol.utcnow())
            self.publish_message(offline, retain=True).wait_for_publish(5)
            self.client.disconnect()
        else:
            reason = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
            self.client.disconnect(reasoncode=reason)
        self.client.loop_stop()
        self.connected.clear()

    def _on_connect(self, client, _userdata, flags, reason_code, _properties):
        if reason_code.is_failure:
            _logger.warning("%s: connection refused (%s)", self.identifier, reason_code)
            return
        client.subscribe(protocol.topic(self.identifier, "cmd"), qos=1)
        online = self._status("online")
        online["data"]["session_present"] = bool(flags.session_present)
        self.publish_message(online, retain=True)
        pending, self.outbox = self.outbox, []
        for message, retain in pending:
            self.publish_message(message, retain=retain)
        self.connected.set()
        self._notify()

    def _on_disconnect(self, _client, _userdata, _flags, _reason_code, _properties):
        self.connected.clear()
        self._arm_will()

    def _status(self, state, ts=None):
        return protocol.device_message(
            self.identifier,
            "status",
            {"state": state, "firmware": self.firmware},
            ts=ts or self._connection_ts,
        )

    # -- messages out ----------------------------------------------------------------------------

    def _payload(self, message):
        return protocol.encode(protocol.sign(message, self.secret))

    def publish_message(self, message, retain=False):
        channel = protocol.channel_of(message["type"])
        return self.client.publish(
            protocol.topic(self.identifier, channel), self._payload(message), qos=1, retain=retain
        )

    def publish_raw(self, channel, payload, device=None):
        """Publish bytes as they are, on this device's topic or another's (hostile tests)."""
        return self.client.publish(protocol.topic(device or self.identifier, channel), payload, 1)

    def emit(self, message_type, data=None, ts=None, message_id=None):
        """Sign and send a message, or keep it until the next connection when offline."""
        message = protocol.device_message(
            self.identifier, message_type, data or {}, ts=ts, message_id=message_id
        )
        if self.connected.is_set():
            self.publish_message(message)
        else:
            self.outbox.append((message, False))
        return message

    def telemetry(self, trigger=None, position=None, **readings):
        self.readings.update(readings)
        data = dict(self.readings)
        if trigger:
            data["trigger"] = trigger
        if position:
            data["position"] = position
        return self.emit("telemetry", data)

    # -- commands in -----------------------------------------------------------------------------

    def _on_message(self, _client, _userdata, message):
        status, command = self._handle_command(message.payload)
        self.commands.append((command or message.payload, status))
        if command:
            _logger.info("%s: %s %s", self.identifier, command.get("type"), status)
        if command and status and self.auto_ack:
            self._acknowledge(command["id"], status)
        self._notify()

    def _handle_command(self, payload):
        """(ack status and reason, command) of a received payload; no ack when unreadable."""
        try:
            command = protocol.decode(payload)
        except protocol.ProtocolError:
            return None, None
        if not isinstance(command.get("id"), str) or not protocol.MESSAGE_ID.pattern.fullmatch(
            command["id"]
        ):
            return None, None
        if command["id"] in self._acks:
            return self._acks[command["id"]], command
        try:
            protocol.validate_command(command)
        except protocol.ProtocolError as error:
            return ("refused", error.reason), command
        if command["device"] != self.identifier or not protocol.verify(command, self.secret):
            return ("refused", "signature"), command
        if protocol.parse_ts(command["expires_at"]) <= protocol.utcnow():
            status = ("expired", "")
        elif command["type"] not in protocol.KIND_COMMANDS[self.kind]:
            status = ("refused", "unsupported")
        else:
            self._apply(command["type"], command["params"])
            status = ("ok", "")
        self._acks[command["id"]] = status
        return status, command

    def _acknowledge(self, command_id, status):
        data = {"command_id": command_id, "status": status[0]}
        if status[1]:
            data["reason"] = status[1]
        self.emit("ack", data)

    def _apply(self, command_type, params):
        if command_type == "code.push":
            self.codes[params["code"]] = params
        elif command_type == "code.revoke":
            if self.codes.get(params["code"], {}).get("booking") == params["booking"]:
                del self.codes[params["code"]]
        elif command_type == "badge.authorise":
            self.badges[params["badge"]] = params
        elif command_type == "badge.revoke":
            if self.badges.get(params["badge"], {}).get("booking") == params["booking"]:
                del self.badges[params["badge"]]
        elif command_type in ("immobiliser.arm", "immobiliser.disarm"):
            self.armed = command_type == "immobiliser.arm"
        elif command_type in ("lock", "unlock"):
            self.locked = command_type == "lock"

    # -- what a driver does ----------------------------------------------------------------------

    @staticmethod
    def _valid_now(grant):
        now = protocol.utcnow()
        return grant is not None and protocol.parse_ts(
            grant["valid_from"]
        ) <= now <= protocol.parse_ts(grant["valid_until"])

    def type_code(self, code, take_key=True):
        """Type a code on the key box (or the immobiliser's keypad); True when it opens."""
        grant = self.codes.get(code)
        accepted = self._valid_now(grant)
        slot = grant.get("slot") if grant else None
        data = {"code": code, "accepted": accepted}
        if slot:
            data["slot"] = slot
        self.emit("code.typed", data)
        if accepted and take_key and self.kind == "keybox" and slot:
            self.slots[slot] = False
            self.emit("key.taken", {"slot": slot, "code": code})
        return accepted

    def return_key(self, slot, code=None, **readings):
        self.slots[slot] = True
        data = {"slot": slot, **readings}
        if code:
            data["code"] = code
        return self.emit("key.returned", data)

    def ignition_on(self, code=None, badge=None, **readings):
        """Start the engine: an armed immobiliser lets it start only with a valid code."""
        if self.kind == "immobiliser" and self.armed and not self._valid_now(self.codes.get(code)):
            return None
        data = {key: value for key, value in (("code", code), ("badge", badge)) if value}
        return self.emit("ignition.on", {**data, **readings})

    def ignition_off(self, **readings):
        return self.emit("ignition.off", readings)

    def present_badge(self, badge):
        accepted = self._valid_now(self.badges.get(badge))
        if accepted:
            self.locked = False
        self.emit("badge.presented", {"badge": badge, "accepted": accepted})
        return accepted

    def open_door(self, door="driver"):
        return self.emit("door.opened", {"door": door})

    def alarm(self, kind, detail=None):
        return self.emit("alarm", {"kind": kind, **({"detail": detail} if detail else {})})

    # -- waiting (tests) -------------------------------------------------------------------------

    def _notify(self):
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate, timeout=20):
        """Wait until ``predicate()`` holds, re-checked at each command or connection."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.identifier}: condition not met in {timeout} s")
                self._changed.wait(min(remaining, 0.2))
        return True


class Prompt(cmd.Cmd):
    """Interactive prompt driving one simulated device."""

    def __init__(self, device):
        super().__init__()
        self.device = device
        self.prompt = f"{device.identifier}> "

    def emptyline(self):
        return False

    def _say(self, text):
        self.stdout.write(f"{text}\n")

    def do_code(self, arg):
        """code CODE: type a booking code (the key box releases the key of its slot)."""
        self._say("accepted" if self.device.type_code(arg.strip()) else "refused")

    def do_return(self, arg):
        """return SLOT [ODOMETER [ENERGY]]: put a key back."""
        slot, *values = arg.split()
        readings = dict(zip(("odometer", "energy"), map(float, values), strict=False))
        self.device.return_key(slot, **readings)

    def do_ignition(self, arg):
        """ignition on [CODE] | ignition off: switch the engine on (with a code) or off."""
        words = arg.split()
        if words[:1] == ["off"]:
            self.device.ignition_off(odometer=self.device.readings["odometer"])
            return
        started = self.device.ignition_on(code=words[1] if len(words) > 1 else None)
        self._say("started" if started else "immobilised")

    def do_badge(self, arg):
        """badge UID: present an RFID badge to the reader."""
        self._say("accepted" if self.device.present_badge(arg.strip()) else "refused")

    def do_drive(self, arg):
        """drive KM [ENERGY_USED]: drive, then send the telemetry."""
        km, *used = map(float, arg.split())
        readings = self.device.readings
        readings["odometer"] += km
        readings["battery_level"] = max(readings["battery_level"] - (used[0] if used else 0), 0)
        self.device.telemetry()

    def do_telemetry(self, arg):
        """telemetry [pickup|return LAT LON]: send the readings (position only at these moments)."""
        words = arg.split()
        if words:
            position = {"lat": float(words[1]), "lon": float(words[2])}
            self.device.telemetry(trigger=words[0], position=position)
        else:
            self.device.telemetry()

    def do_door(self, arg):
        """door [NAME]: open a door."""
        self.device.open_door(arg.strip() or "driver")

    def do_alarm(self, arg):
        """alarm KIND [DETAIL]: raise an alarm (tamper, forced_open, towing...)."""
        kind, _, detail = arg.partition(" ")
        self.device.alarm(kind, detail or None)

    def do_state(self, _arg):
        """state: what the device holds."""
        device = self.device
        self._say(
            f"online: {device.connected.is_set()}  armed: {device.armed}  locked: {device.locked}"
        )
        self._say(f"slots: {device.slots}")
        for code, grant in device.codes.items():
            self._say(
                f"code {code}: {grant['booking']} {grant['valid_from']} - {grant['valid_until']}"
            )
        for badge, grant in device.badges.items():
            self._say(f"badge {badge}: {grant['booking']}")

    def do_offline(self, _arg):
        """offline: lose the connection (the broker publishes the will)."""
        self.device.stop(graceful=False)

    def do_online(self, _arg):
        """online: connect again."""
        self.device.start()

    def do_quit(self, _arg):
        """quit: go offline and leave."""
        self.device.stop()
        return True

    do_EOF = do_quit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Simulated carsharing device (MQTT)")
    parser.add_argument("--device", required=True, help="identifier, as in Odoo")
    parser.add_argument("--secret", required=True, help="signing secret, from the device form")
    parser.add_argument("--kind", choices=sorted(protocol.KIND_COMMANDS), default="keybox")
    parser.add_argument("--slots", default="", help="key box slots, comma-separated")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--username", help="MQTT user (default: none, anonymous broker)")
    parser.add_argument("--password")
    parser.add_argument("--ca-file", help="CA certificate for a TLS listener")
    return parser.parse_args(argv)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    device = Device(
        args.device,
        args.secret,
        args.kind,
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        slots=[slot for slot in args.slots.split(",") if slot],
        tls_ca_file=args.ca_file,
    )
    device.start()
    Prompt(device).cmdloop(f"{args.kind} {args.device} online; type help.")


if __name__ == "__main__":
    main()
