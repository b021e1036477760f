"""Bookings driven by simulated devices through Mosquitto and the real bridge process."""

from datetime import timedelta

import pytest

pytest_plugins = ["iot_fixtures"]

BADGE = "04A224B1C35E80"


def test_full_booking_through_devices(iot, iot_world, iot_broker, iot_bridge, devices):
    broker = iot_broker
    car = iot_world.vehicle(odometer=5000)
    keybox = devices(iot_world.simulate(iot_world.keybox, broker, slots=[car["slot"]]))
    immobiliser = devices(iot_world.simulate(car["immobiliser"], broker))
    telematics = devices(iot_world.simulate(car["telematics"], broker))
    telematics.telemetry(odometer=5000, battery_level=80, range_km=300)

    booking = iot_world.book(car)
    code = booking["access_code"]
    keybox.wait_for(lambda: code in keybox.codes)
    immobiliser.wait_for(lambda: code in immobiliser.codes)
    telematics.wait_for(lambda: BADGE in telematics.badges)
    iot_world.wait_acked(booking)
    assert keybox.codes[code]["slot"] == car["slot"]
    assert immobiliser.armed

    assert keybox.type_code(code), "the pushed code opens the key box"
    assert not keybox.slots[car["slot"]]
    booking = iot_world.wait_state(booking, "ongoing")
    assert booking["odometer_start"] == 5000
    immobiliser.wait_for(lambda: not immobiliser.armed)
    assert immobiliser.ignition_on(code=code)
    telematics.telemetry(trigger="pickup", position={"lat": 48.4306, "lon": 0.0931})
    telematics.telemetry(odometer=5042, battery_level=62, range_km=230)
    iot.wait_until(lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 62)

    keybox.return_key(car["slot"])
    booking = iot_world.wait_state(booking, "done")
    assert (booking["odometer_start"], booking["odometer_end"]) == (5000, 5042)
    assert booking["distance_km"] == 42
    assert booking["energy_end"] == 62
    assert booking["pickup_latitude"] == pytest.approx(48.4306)
    immobiliser.wait_for(lambda: immobiliser.armed)
    keybox.wait_for(lambda: code not in keybox.codes)
    telematics.wait_for(lambda: BADGE not in telematics.badges)
    processed = iot_world.messages([("booking_id", "=", booking["id"]), ("direction", "=", "in")])
    assert {m["message_type"] for m in processed} >= {"key.taken", "key.returned", "ignition.on"}
    assert all(m["state"] == "processed" for m in processed)


def test_key_box_offline_at_pick_up(iot, iot_world, iot_broker, iot_bridge, devices):
    broker = iot_broker
    car = iot_world.vehicle()
    keybox = devices(iot_world.simulate(iot_world.keybox, broker, slots=[car["slot"]]))
    device = iot_world.keybox
    iot.wait_until(lambda: iot_world.device_status(device) == "online", message="key box online")
    booking = iot_world.book(car)
    code = booking["access_code"]
    keybox.wait_for(lambda: code in keybox.codes)

    keybox.stop(graceful=False)
    iot.wait_until(
        lambda: iot_world.device_status(device) == "offline", message="the will: offline"
    )
    assert keybox.type_code(code), "the code pushed ahead of time opens the box offline"
    assert [message["type"] for message, _retain in keybox.outbox] == ["code.typed", "key.taken"]
    assert iot_world.booking(booking["id"])["state"] == "confirmed"

    keybox.start()
    iot_world.wait_state(booking, "ongoing")
    iot.wait_until(
        lambda: iot_world.device_status(device) == "online", message="key box online again"
    )
    keybox.return_key(car["slot"])
    iot_world.wait_state(booking, "done")


def test_duplicated_and_reordered_events(iot, iot_world, iot_broker, iot_bridge, devices):
    broker, protocol = iot_broker, iot.protocol
    car = iot_world.vehicle(odometer=7000)
    keybox = devices(iot_world.simulate(iot_world.keybox, broker, slots=[car["slot"]]))
    booking = iot_world.book(car)
    code = booking["access_code"]
    keybox.wait_for(lambda: code in keybox.codes)

    now = protocol.utcnow()
    taken = protocol.device_message(
        keybox.identifier,
        "key.taken",
        {"slot": car["slot"], "code": code},
        ts=now - timedelta(minutes=1),
    )
    returned = protocol.device_message(
        keybox.identifier, "key.returned", {"slot": car["slot"], "odometer": 7130}, ts=now
    )
    for message in (returned, returned, taken, taken, returned):
        keybox.publish_message(message).wait_for_publish(5)

    booking = iot_world.wait_state(booking, "done")
    assert (booking["odometer_start"], booking["odometer_end"]) == (7000, 7130)

    def logged():
        rows = iot_world.messages([("message_id", "in", [taken["id"], returned["id"]])])
        return len(rows) == 5 and rows

    rows = iot.wait_until(logged, message="the five copies logged")
    by_id = {}
    for row in rows:
        by_id.setdefault(row["message_id"], []).append(row["state"])
    assert sorted(by_id[returned["id"]]) == ["duplicate", "duplicate", "processed"]
    assert sorted(by_id[taken["id"]]) == ["duplicate", "processed"]
    late = next(r for r in rows if r["message_id"] == taken["id"] and r["state"] == "processed")
    assert "already returned" in late["result"]
    assert iot_world.booking(booking["id"])["state"] == "done"
