"""Nothing is lost when the broker restarts, the bridge dies or its database connections drop."""

from iot_fixtures import cut_database_connections

pytest_plugins = ["iot_fixtures"]


def test_broker_restarted_mid_flow(iot, iot_world, iot_broker, iot_bridge, devices):
    broker, bridge = iot_broker, iot_bridge
    car = iot_world.vehicle()
    keybox = devices(iot_world.simulate(iot_world.keybox, broker, slots=[car["slot"]]))
    first = iot_world.book(car, minutes=30)
    keybox.wait_for(lambda: first["access_code"] in keybox.codes)
    connections = bridge.log().count("connected to MQTT broker")

    broker.stop()
    keybox.wait_for(lambda: not keybox.connected.is_set())
    # While the broker is down: a booking is confirmed, a driver picks up a car.
    second = iot_world.book(car, start_in=60, minutes=30)
    assert keybox.type_code(first["access_code"])
    assert iot_world.booking(first["id"])["state"] == "confirmed"
    commands = iot_world.commands(second["id"])
    assert commands and all(c["state"] == "pending" for c in commands)

    # Mosquitto 2.0 does not restore shared subscriptions: the key box, offline a while
    # longer, comes back once the bridge has subscribed again (docs/iot-protocol.md).
    keybox.stop(graceful=False)
    broker.start()
    iot.wait_until(
        lambda: bridge.log().count("connected to MQTT broker") > connections,
        message="bridge reconnected",
    )
    keybox.start()
    iot_world.wait_state(first, "ongoing")
    keybox.wait_for(lambda: second["access_code"] in keybox.codes)
    iot_world.wait_acked(second, iot_world.keybox)
    assert bridge.alive()
    assert "lost the MQTT broker" in bridge.log()


def test_bridge_killed_with_commands_pending(iot, iot_world, iot_broker, iot_bridge, devices):
    broker, bridge = iot_broker, iot_bridge
    car = iot_world.vehicle()
    keybox = devices(iot_world.simulate(iot_world.keybox, broker, slots=[car["slot"]]))
    telematics = devices(iot_world.simulate(car["telematics"], broker))
    keybox.wait_for(keybox.connected.is_set)

    bridge.kill()
    booking = iot_world.book(car)
    assert all(c["state"] == "pending" for c in iot_world.commands(booking["id"]))
    # Kept by the broker for the bridge's persistent session.
    telematics.telemetry(battery_level=55, range_km=210)

    bridge.start()
    keybox.wait_for(lambda: booking["access_code"] in keybox.codes)
    iot_world.wait_acked(booking, iot_world.keybox, car["telematics"])
    iot.wait_until(lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 55)


def test_database_connections_lost(iot, test_db, iot_world, iot_broker, iot_bridge, devices):
    broker, bridge = iot_broker, iot_bridge
    car = iot_world.vehicle()
    telematics = devices(iot_world.simulate(car["telematics"], broker))
    telematics.telemetry(battery_level=70)
    iot.wait_until(lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 70)

    assert cut_database_connections(test_db, bridge.process) >= 1

    telematics.telemetry(battery_level=65)
    iot.wait_until(lambda: iot_world.vehicle_field(car, "carshare_battery_level") == 65)
    booking = iot_world.book(car)
    telematics.wait_for(lambda: "04A224B1C35E80" in telematics.badges)
    iot_world.wait_acked(booking, car["telematics"])
    assert bridge.alive()
