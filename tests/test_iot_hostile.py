"""10,000 malformed or hostile payloads: the bridge keeps running, logs them, changes nothing."""

import json
import random
from datetime import timedelta

pytest_plugins = ["iot_fixtures"]

TOTAL = 10_000


def encode(message):
    return json.dumps(message, separators=(",", ":")).encode()


class Hostile:
    """Payloads, each with the topic it is published on and whether it reaches the database."""

    def __init__(self, protocol, keybox, telematics, genuine, seed=61):
        self.protocol = protocol
        self.rng = random.Random(seed)
        self.keybox, self.telematics, self.genuine = keybox, telematics, genuine
        self.topic = {
            name: self.protocol.topic(device["identifier"], channel)
            for name, device, channel in (
                ("event", keybox, "event"),
                ("telemetry", telematics, "telemetry"),
                ("status", keybox, "status"),
                ("ack", keybox, "ack"),
            )
        }

    def signed(self, device, message_type, data, secret=None, **message):
        return self.protocol.sign(
            self.protocol.device_message(device["identifier"], message_type, data, **message),
            secret or device["secret"],
        )

    def without_one_key(self, message):
        dropped = self.rng.choice(list(message))
        return {key: value for key, value in message.items() if key != dropped}

    def garbage(self):
        """Refused before the database: server log only."""
        rng = self.rng
        valid = self.signed(self.keybox, "key.taken", {"slot": "S1", "code": "123456"})
        choices = [
            lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))),
            lambda: encode(valid)[: rng.randint(1, 100)],
            lambda: b"\xff\xfe" + encode(valid),
            lambda: b"null",
            lambda: b'"a string"',
            lambda: b"[" * 3000 + b"]" * 3000,
            lambda: b'{"a":' * 2000 + b"1" + b"}" * 2000,
            lambda: encode(valid).replace(b'"v":1', b'"v":NaN'),
            lambda: encode(valid).replace(b'"v":1', b'"v":1,"v":1'),
            lambda: encode({**valid, "v": "1"}),
            lambda: encode({**valid, "ts": rng.choice([0, "now", "2030-02-30T00:00:00Z", None])}),
            lambda: encode({**valid, "data": {"slot": rng.randint(0, 9)}}),
            lambda: encode({**valid, "data": {"slot": "S1", "code": "12" * 40}}),
            lambda: encode({**valid, "data": {"slot": "S1", "extra": True}}),
            lambda: encode({**valid, "type": "key.stolen"}),
            lambda: encode(self.without_one_key(valid)),
            lambda: encode({**valid, "id": "x"}),
            lambda: encode({**valid, "sig": "zz"}),
            lambda: encode(
                self.signed(self.telematics, "telemetry", {"battery_level": 55})
            ).replace(b'"battery_level":55', b'"battery_level":1e999'),
            lambda: encode(self.signed(self.telematics, "telemetry", {"battery_level": -5})),
            lambda: encode(self.signed(self.telematics, "telemetry", {"odometer": "12"})),
            lambda: encode(
                self.signed(self.telematics, "telemetry", {"position": {"lat": 200, "lon": 0}})
            ),
        ]
        topic = self.topic[rng.choice(["event", "event", "telemetry", "ack"])]
        payload = rng.choice(choices)()
        if b"battery_level" in payload or b"odometer" in payload or b"position" in payload:
            topic = self.topic["telemetry"]
        return topic, payload

    def huge(self):
        size = self.rng.choice([9_000, 20_000, 60_000])
        return self.topic["event"], b'{"v":1,"pad":"' + b"x" * size + b'"}'

    def unknown_device(self):
        ghost = {"identifier": f"ghost-{self.rng.randint(0, 10**6)}", "secret": "guess"}
        topic = self.protocol.topic(ghost["identifier"], "event")
        return topic, encode(self.signed(ghost, "key.taken", {"slot": "S1"}))

    def bad_topic(self):
        topic = self.rng.choice(
            ["carshare/v1/bad id/event", "carshare/v1/x/event", "carshare/v1/é/telemetry"]
        )
        return topic, encode(self.signed(self.keybox, "key.taken", {"slot": "S1"}))

    def forged(self):
        """Reaches the database: logged as rejected."""
        rng = self.rng
        now = self.protocol.utcnow()
        kind = rng.choice(["secret", "mismatch", "stale", "future", "kind"])
        if kind == "secret":
            message = self.signed(self.keybox, "key.taken", {"slot": "S1"}, secret="guessed")
        elif kind == "mismatch":
            message = self.signed(self.keybox, "key.taken", {"slot": "S1"}, secret=None)
            message = self.protocol.sign(
                {**message, "device": "someone-else"}, self.keybox["secret"]
            )
        elif kind == "stale":
            message = self.signed(
                self.keybox, "key.taken", {"slot": "S1"}, ts=now - timedelta(days=8)
            )
        elif kind == "future":
            message = self.signed(
                self.keybox, "key.taken", {"slot": "S1"}, ts=now + timedelta(hours=1)
            )
        else:
            message = self.signed(self.keybox, "ignition.on", {})
        return self.topic["event"], encode(message)

    def replay(self):
        """Reaches the database: logged as duplicate."""
        return self.topic["telemetry"], encode(self.genuine)

    def stream(self, total=TOTAL, forged=400, replays=400, unknown=1200, huge=150, topics=150):
        plan = (
            ["forged"] * forged
            + ["replay"] * replays
            + ["unknown_device"] * unknown
            + ["huge"] * huge
            + ["bad_topic"] * topics
        )
        plan += ["garbage"] * (total - len(plan))
        self.rng.shuffle(plan)
        payloads = [(name, *getattr(self, name)()) for name in plan]
        for name, topic, payload in payloads:
            self.check(name, topic, payload)
        return [(topic, payload) for _name, topic, payload in payloads]

    def check(self, name, topic, payload):
        """The test's own guard: what must not pass the protocol does not."""
        try:
            _identifier, _channel, message = self.protocol.parse_device_message(topic, payload)
        except self.protocol.ProtocolError:
            assert name in ("garbage", "huge", "bad_topic"), f"{name} refused: {payload[:80]}"
            return
        assert name in ("forged", "replay", "unknown_device"), f"{name} passes: {payload[:80]}"
        secret = self.keybox["secret"] if "keybox" in topic else self.telematics["secret"]
        genuine = name == "replay"
        assert self.protocol.verify(message, secret) == genuine or name == "forged"


def snapshot(odoo, world, car, booking):
    """Everything the payloads could change, but the battery level the last valid one sets."""
    return (
        world.booking(booking["id"]),
        odoo.execute(
            "fleet.vehicle",
            "read",
            [car["id"]],
            ["carshare_range_km", "carshare_state", "odometer", "carshare_station_id"],
        ),
        odoo.execute(
            "carshare.iot.device",
            "read",
            world.devices,
            ["status", "firmware", "odometer", "active"],
        ),
        # Their attempts grow: the bridge retries those the devices off the test never answer.
        [{**c, "attempts": None} for c in world.commands(booking["id"])],
        odoo.execute("carshare.iot.command", "search_count", []),
    )


def logged_states(odoo, world):
    groups = odoo.execute(
        "carshare.iot.message",
        "read_group",
        [("device_id", "in", world.devices), ("direction", "=", "in")],
        ["state"],
        ["state"],
    )
    return {group["state"]: group["state_count"] for group in groups}


def test_ten_thousand_hostile_payloads(odoo, iot, iot_world, iot_broker, iot_bridge, devices):
    protocol, broker, bridge = iot.protocol, iot_broker, iot_bridge
    car = iot_world.vehicle()
    telematics = devices(iot_world.simulate(car["telematics"], broker))
    keybox = iot_world.keybox
    booking = iot_world.book(car)
    iot_world.wait_acked(booking, car["telematics"])
    genuine = protocol.sign(telematics.telemetry(battery_level=75), car["telematics"]["secret"])
    iot.wait_until(lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 75)
    states_before = logged_states(odoo, iot_world)
    before = snapshot(odoo, iot_world, car, booking)

    log_start = len(bridge.log())
    hostile = Hostile(protocol, keybox, car["telematics"], genuine)
    payloads = hostile.stream()
    mqtt = iot.mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in payloads]
        # The last one, from the same connection, is processed after all the others.
        sentinel = hostile.signed(car["telematics"], "telemetry", {"battery_level": 74})
        infos.append(client.publish(hostile.topic["telemetry"], encode(sentinel), qos=1))
        for info in infos:
            info.wait_for_publish(60)
        iot.wait_until(
            lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 74,
            timeout=150,
            interval=0.5,
            message="the valid message sent after the 10,000 processed",
        )
    finally:
        client.loop_stop()
        client.disconnect()

    assert bridge.alive()
    assert snapshot(odoo, iot_world, car, booking) == before
    states = logged_states(odoo, iot_world)
    assert states["rejected"] - states_before.get("rejected", 0) == 400
    assert states["duplicate"] - states_before.get("duplicate", 0) == 400
    assert states["processed"] - states_before["processed"] == 1
    log = bridge.log()[log_start:]
    assert log.count("MQTT message refused on") == TOTAL - 800, "each refusal logged"
    assert log.count("refused: bad_signature") > 0
    for reason in ("unknown device", "too_big", "bad_json", "bad_topic", "bad_type"):
        assert reason in log
    assert "Traceback" not in log
    assert keybox["secret"] not in log and car["telematics"]["secret"] not in log
