"""Carsharing MQTT protocol, version 1 (docs/iot-protocol.md): topics, signatures, schemas."""

import hashlib
import hmac
import json
import math
import re
import uuid
from datetime import datetime, timedelta, timezone

import rfc8785

VERSION = 1
TOPIC_ROOT = f"carshare/v{VERSION}"
DEVICE_CHANNELS = ("ack", "event", "telemetry", "status")
SHARE_GROUP = "carshare-bridge"
MAX_PAYLOAD_BYTES = 8192
# Devices queue events while offline: older messages are refused, newer than the skew too.
MAX_MESSAGE_AGE = timedelta(days=7)
MAX_CLOCK_SKEW = timedelta(minutes=5)
IDENTIFIER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}"
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class ProtocolError(ValueError):
    """A message that does not follow the protocol; ``reason`` is a short stable code."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# -- topics --------------------------------------------------------------------------------------


def topic(device, channel):
    return f"{TOPIC_ROOT}/{device}/{channel}"


def parse_topic(name):
    """(device identifier, channel) of a device topic."""
    parts = name.split("/")
    if (
        len(parts) != 4
        or "/".join(parts[:2]) != TOPIC_ROOT
        or parts[3] not in (*DEVICE_CHANNELS, "cmd")
        or not re.fullmatch(IDENTIFIER_PATTERN, parts[2])
    ):
        raise ProtocolError("bad_topic", name[:120])
    return parts[2], parts[3]


def bridge_subscriptions(shared=True):
    """What a bridge subscribes to.

    Shared, each device message goes to one of the running bridges; but statuses, retained, which
    shared subscriptions do not deliver: every bridge reads them, the database processes each
    once. Not shared, every bridge reads everything (the database still processes each message
    once) and a persistent broker keeps the subscriptions across its restarts, which Mosquitto
    2.0 does not do for shared ones.
    """
    prefix = f"$share/{SHARE_GROUP}/" if shared else ""
    topics = [
        f"{prefix}{TOPIC_ROOT}/+/{channel}" for channel in DEVICE_CHANNELS if channel != "status"
    ]
    return [*topics, f"{TOPIC_ROOT}/+/status"]


# -- time and identifiers ------------------------------------------------------------------------


def utcnow():
    return datetime.now(timezone.utc)


def format_ts(moment):
    """RFC 3339 UTC with milliseconds; naive datetimes are taken as UTC (Odoo's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(TS_FORMAT)[:-4] + "Z"


def parse_ts(value):
    """Aware UTC datetime of a protocol timestamp."""
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        raise ProtocolError("bad_timestamp", str(value)[:40])
    base, _, fraction = value[:-1].partition(".")
    try:
        # The pattern matched: fromisoformat reads it, five times faster than strptime.
        moment = datetime.fromisoformat(base)
    except ValueError as error:
        raise ProtocolError("bad_timestamp", value) from error
    micro = int((fraction or "0").ljust(6, "0"))
    return moment.replace(microsecond=micro, tzinfo=timezone.utc)


def new_id():
    return uuid.uuid4().hex


# -- signatures ----------------------------------------------------------------------------------


def canonical(message):
    """The signed bytes: the message without ``sig`` in the JSON Canonicalization Scheme
    (RFC 8785: keys sorted by UTF-16 code units, no spaces, numbers as ECMAScript writes them,
    so 18400.0 is 18400, strings with the minimal escapes, UTF-8)."""
    unsigned = {key: value for key, value in message.items() if key != "sig"}
    try:
        return rfc8785.dumps(unsigned)
    except rfc8785.CanonicalizationError as error:
        raise ProtocolError("not_canonicalizable", type(error).__name__) from None


def signature(message, secret):
    return hmac.new(secret.encode(), canonical(message), hashlib.sha256).hexdigest()


def sign(message, secret):
    return {**message, "sig": signature(message, secret)}


def verify(message, secret):
    sig = message.get("sig")
    if not isinstance(sig, str):
        return False
    try:
        expected = signature(message, secret)
    except ProtocolError:
        return False
    return hmac.compare_digest(sig, expected)


def encode(message):
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


# -- schemas -------------------------------------------------------------------------------------


class Check:
    """A JSON value checker that also describes itself as JSON Schema."""

    def __init__(self, schema):
        self.schema = schema
        self.name = None

    def named(self, name):
        """Shared type: the published schemas refer to it by name."""
        self.name = name
        return self

    def reference(self):
        return {"$ref": f"#/$defs/{self.name}"} if self.name else self.schema

    def __call__(self, value, where):
        raise NotImplementedError


class Str(Check):
    def __init__(self, pattern=None, max_length=64, enum=None):
        schema = {"type": "string", "maxLength": max_length}
        if pattern:
            schema["pattern"] = f"^{pattern}$"
        if enum:
            schema = {"enum": list(enum)}
        super().__init__(schema)
        self.pattern = re.compile(pattern) if pattern else None
        self.max_length = max_length
        self.enum = enum

    def __call__(self, value, where):
        if not isinstance(value, str):
            raise ProtocolError("bad_type", f"{where} must be a string")
        if self.enum and value not in self.enum:
            raise ProtocolError("bad_value", f"{where} must be one of {', '.join(self.enum)}")
        if len(value) > self.max_length or (self.pattern and not self.pattern.fullmatch(value)):
            raise ProtocolError("bad_value", f"{where} is malformed")


class Num(Check):
    def __init__(self, minimum=0, maximum=None):
        schema = {"type": "number", "minimum": minimum}
        if maximum is not None:
            schema["maximum"] = maximum
        super().__init__(schema)
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError("bad_type", f"{where} must be a number")
        if not math.isfinite(value) or value < self.minimum:
            raise ProtocolError("bad_value", f"{where} is out of range")
        if self.maximum is not None and value > self.maximum:
            raise ProtocolError("bad_value", f"{where} is out of range")


class Bool(Check):
    def __init__(self):
        super().__init__({"type": "boolean"})

    def __call__(self, value, where):
        if not isinstance(value, bool):
            raise ProtocolError("bad_type", f"{where} must be true or false")


class Obj(Check):
    """An object with these properties, {name: (check, required)}, and no others."""

    def __init__(self, properties):
        super().__init__(
            {
                "type": "object",
                "properties": {
                    name: check.reference() for name, (check, _req) in properties.items()
                },
                "required": [name for name, (_check, req) in properties.items() if req],
                "additionalProperties": False,
            }
        )
        self.properties = properties

    def __call__(self, value, where):
        if not isinstance(value, dict):
            raise ProtocolError("bad_type", f"{where} must be an object")
        unknown = set(value) - set(self.properties)
        if unknown:
            raise ProtocolError("unknown_key", f"{where}.{sorted(unknown)[0][:30]}")
        for name, (check, required) in self.properties.items():
            if name in value:
                check(value[name], f"{where}.{name}")
            elif required:
                raise ProtocolError("missing_key", f"{where}.{name}")


class AnyObj(Check):
    """Any object: its content is checked against the schema of the message's type."""

    def __init__(self):
        super().__init__({"type": "object"})

    def __call__(self, value, where):
        if not isinstance(value, dict):
            raise ProtocolError("bad_type", f"{where} must be an object")


TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
TS = Str(TIMESTAMP.pattern, 32).named("timestamp")
MESSAGE_ID = Str(r"[A-Za-z0-9_-]{8,64}").named("message_id")
DEVICE = Str(IDENTIFIER_PATTERN).named("device")
CODE = Str(r"[0-9]{4,12}", 12).named("code")
SLOT = Str(r"[A-Za-z0-9_-]{1,16}", 16).named("slot")
BADGE = Str(r"[0-9A-Fa-f]{4,32}", 32).named("badge")
BOOKING = Str(r"[^\x00-\x1f]{1,64}").named("booking")
TEXT = Str(r"[^\x00-\x1f]{0,200}", 200).named("text")
ODOMETER = Num(0, 10_000_000).named("odometer")
PERCENT = Num(0, 100).named("percent")
POSITION = Obj({"lat": (Num(-90, 90), True), "lon": (Num(-180, 180), True)}).named("position")
ALARMS = (
    "tamper",
    "forced_open",
    "wrong_codes",
    "door_left_open",
    "towing",
    "low_battery",
    "other",
)

COMMANDS = {
    "code.push": Obj(
        {
            "code": (CODE, True),
            "booking": (BOOKING, True),
            "valid_from": (TS, True),
            "valid_until": (TS, True),
            "slot": (SLOT, False),
        }
    ),
    "code.revoke": Obj({"code": (CODE, True), "booking": (BOOKING, True)}),
    "unlock": Obj({"slot": (SLOT, False)}),
    "lock": Obj({"slot": (SLOT, False)}),
    "immobiliser.arm": Obj({"booking": (BOOKING, False)}),
    "immobiliser.disarm": Obj({"booking": (BOOKING, False)}),
    "badge.authorise": Obj(
        {
            "badge": (BADGE, True),
            "booking": (BOOKING, True),
            "valid_from": (TS, True),
            "valid_until": (TS, True),
        }
    ),
    "badge.revoke": Obj({"badge": (BADGE, True), "booking": (BOOKING, True)}),
}

READINGS = {"odometer": (ODOMETER, False), "energy": (PERCENT, False)}
EVENTS = {
    "code.typed": Obj({"code": (CODE, True), "accepted": (Bool(), True), "slot": (SLOT, False)}),
    "key.taken": Obj({"slot": (SLOT, True), "code": (CODE, False)}),
    "key.returned": Obj({"slot": (SLOT, True), "code": (CODE, False), **READINGS}),
    "door.opened": Obj({"door": (SLOT, False)}),
    "ignition.on": Obj({"code": (CODE, False), "badge": (BADGE, False), **READINGS}),
    "ignition.off": Obj(READINGS),
    "badge.presented": Obj({"badge": (BADGE, True), "accepted": (Bool(), True)}),
    "alarm": Obj({"kind": (Str(enum=ALARMS), True), "detail": (TEXT, False)}),
}
DEVICE_DATA = {
    "ack": {
        "ack": Obj(
            {
                "command_id": (MESSAGE_ID, True),
                "status": (Str(enum=("ok", "refused", "expired")), True),
                "reason": (TEXT, False),
            }
        )
    },
    "event": EVENTS,
    "telemetry": {
        "telemetry": Obj(
            {
                "odometer": (ODOMETER, False),
                "battery_level": (PERCENT, False),
                "range_km": (Num(0, 5000), False),
                "charging": (Bool(), False),
                "position": (POSITION, False),
                "trigger": (Str(enum=("pickup", "return")), False),
            }
        )
    },
    "status": {
        "status": Obj(
            {
                "state": (Str(enum=("online", "offline")), True),
                "firmware": (Str(r"[A-Za-z0-9._+-]{1,40}", 40), False),
                "session_present": (Bool(), False),
            }
        )
    },
}
# What each kind of device is sent and may send.
KIND_COMMANDS = {
    "keybox": ("code.push", "code.revoke", "unlock", "lock"),
    "immobiliser": ("code.push", "code.revoke", "immobiliser.arm", "immobiliser.disarm"),
    "telematics": ("unlock", "lock", "badge.authorise", "badge.revoke"),
}
KIND_EVENTS = {
    "keybox": ("code.typed", "key.taken", "key.returned", "door.opened", "alarm"),
    "immobiliser": ("code.typed", "ignition.on", "ignition.off", "alarm"),
    "telematics": ("ignition.on", "ignition.off", "door.opened", "badge.presented", "alarm"),
}


# -- messages ------------------------------------------------------------------------------------


def _envelope(payload_key, types):
    properties = {
        "v": (Num(VERSION, VERSION), True),
        "id": (MESSAGE_ID, True),
        "device": (DEVICE, True),
        "ts": (TS, True),
        "type": (Str(enum=tuple(types)), True),
        payload_key: (AnyObj(), True),
        "sig": (Str(r"[0-9a-f]{64}"), True),
    }
    if payload_key == "params":
        properties["expires_at"] = (TS, True)
    return properties


def decode(payload):
    """The JSON object of a raw payload, refused when too big or not strict JSON."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("too_big", f"{len(payload)} bytes")
    try:
        message = json.loads(
            payload.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_refuse_duplicates,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        if isinstance(error, ProtocolError):
            raise
        raise ProtocolError("bad_json", type(error).__name__) from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_json", "not an object")
    return message


def _refuse_constant(name):
    raise ProtocolError("bad_json", f"{name} is not a number")


def _refuse_duplicates(pairs):
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        raise ProtocolError("bad_json", "duplicate key")
    return dict(pairs)


def validate_device_message(message, channel):
    """Check a decoded device message against the schema of its channel; returns it."""
    checks = DEVICE_DATA[channel]
    Obj(_envelope("data", checks))(message, "$")
    checks[message["type"]](message["data"], "$.data")
    parse_ts(message["ts"])
    return message


def parse_device_message(topic_name, payload):
    """(device identifier, channel, message) of a payload received on a device topic."""
    identifier, channel = parse_topic(topic_name)
    if channel == "cmd":
        raise ProtocolError("bad_topic", "commands come from Odoo")
    return identifier, channel, validate_device_message(decode(payload), channel)


def validate_command(message):
    Obj(_envelope("params", COMMANDS))(message, "$")
    COMMANDS[message["type"]](message["params"], "$.params")
    parse_ts(message["ts"])
    parse_ts(message["expires_at"])
    return message


def device_message(device, message_type, data, ts=None, message_id=None):
    """An unsigned device message; the type of acks, telemetry and status is the channel's."""
    return {
        "v": VERSION,
        "id": message_id or new_id(),
        "device": device,
        "ts": format_ts(ts or utcnow()),
        "type": message_type,
        "data": data,
    }


def command(device, command_type, params, expires_at, ts=None, message_id=None):
    """An unsigned command."""
    return {
        "v": VERSION,
        "id": message_id or new_id(),
        "device": device,
        "ts": format_ts(ts or utcnow()),
        "expires_at": format_ts(expires_at),
        "type": command_type,
        "params": params,
    }


def channel_of(message_type):
    """The channel a device message of this type is published on."""
    return message_type if message_type in ("ack", "telemetry", "status") else "event"


SHARED = (TS, MESSAGE_ID, DEVICE, CODE, SLOT, BADGE, BOOKING, TEXT, ODOMETER, PERCENT, POSITION)


def json_schemas():
    """{title: JSON Schema} of the shared definitions, the two envelopes and every message,
    as published in docs/iot-protocol.md."""
    schemas = {f"$defs/{check.name}": check.schema for check in SHARED}
    schemas["$defs/command"] = Obj(_envelope("params", COMMANDS)).schema
    schemas["$defs/device_message"] = Obj(
        _envelope("data", [name for checks in DEVICE_DATA.values() for name in checks])
    ).schema
    for name, check in COMMANDS.items():
        schemas[f"cmd {name}"] = _schema_of("command", "params", name, check)
    for channel, checks in DEVICE_DATA.items():
        for name, check in checks.items():
            schemas[f"{channel} {name}"] = _schema_of("device_message", "data", name, check)
    return schemas


def _schema_of(envelope, payload_key, name, check):
    return {
        "allOf": [{"$ref": f"#/$defs/{envelope}"}],
        "properties": {"type": {"const": name}, payload_key: check.reference()},
    }
