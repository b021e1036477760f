"""Issue 18: the bridge acknowledges a batch of device messages only once it is committed; killed
in the middle of one, the next bridge of the session gets the whole batch again and applies each
message once."""

import time

import pytest

pytest_plugins = ["iot_fixtures"]


@pytest.fixture
def own_broker(iot):
    broker = iot.Broker().start()
    yield broker
    broker.remove()


def processed(iot_world, ids):
    return iot_world.messages([("message_id", "in", ids)])


def test_killed_mid_batch_nothing_lost_nothing_twice(iot, iot_world, own_broker, bridges, devices):
    # A batch window of 20 s: the bridge holds the events received, unacknowledged.
    slow = bridges(
        own_broker,
        client_id="wt-batch-bridge",
        options={"carshare_mqtt_batch_size": "50", "carshare_mqtt_batch_ms": "20000"},
    )
    car = iot_world.vehicle()
    keybox = devices(iot_world.simulate(iot_world.keybox, own_broker, slots=[car["slot"]]))
    booking = iot_world.book(car)
    keybox.wait_for(lambda: booking["access_code"] in keybox.codes)
    ids = [keybox.emit("door.opened", {"door": "keybox"})["id"] for _ in range(5)]
    taken = keybox.type_code(booking["access_code"])
    assert taken
    ids += [keybox.emit("door.opened", {"door": "keybox"})["id"] for _ in range(5)]
    time.sleep(2)  # delivered to the bridge, which waits for more
    assert not processed(iot_world, ids)
    assert iot_world.booking(booking["id"])["state"] == "confirmed"

    slow.kill()
    bridges(own_broker, client_id="wt-batch-bridge", name="bridge-again")
    iot_world.wait_state(booking, "ongoing")
    iot.wait_until(lambda: len(processed(iot_world, ids)) == len(ids), message="all delivered")
    rows = iot_world.messages([("booking_id", "=", booking["id"]), ("direction", "=", "in")])
    assert {row["state"] for row in rows} == {"processed"}, "each message once"
    assert len([row for row in rows if row["message_type"] == "key.taken"]) == 1
    assert {row["state"] for row in processed(iot_world, ids)} == {"processed"}
