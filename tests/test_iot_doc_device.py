"""Issue 15: a key box written from docs/iot-protocol.md alone (tests/doc_devices.py) drives
consecutive bookings through Mosquitto and the real bridge, with restarts of the bridge and a
stale event from its buffer."""

from doc_devices import DocDevice, format_ts, utc_now

pytest_plugins = ["iot_fixtures"]


def now_ts():
    return format_ts(utc_now())


def test_a_device_written_from_the_doc(iot_world, iot_broker, iot_bridge):
    broker, bridge = iot_broker, iot_bridge
    car = iot_world.vehicle(odometer=5000)
    device = iot_world.keybox
    box = DocDevice(broker.port, device["identifier"], device["secret"], "keybox").start()
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
