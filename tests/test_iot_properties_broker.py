"""Issue 15: a few generated sequences through the real broker and bridge. Two consecutive
bookings of one car by two drivers; the key box publishes its events, stale copies of the
first booking's events and duplicates in a generated order, the bridge is killed at a generated
point. The invariants of the in-process property test are checked over RPC."""

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest_plugins = ["iot_fixtures"]

EVENTS = st.lists(
    st.sampled_from(["stale_taken", "stale_returned", "duplicate", "kill_bridge"]),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(extras=EVENTS)
def test_generated_sequences_through_the_broker(iot, iot_world, iot_broker, iot_bridge, extras):
    car = iot_world.vehicle(odometer=5000)
    # One key box per sequence, stopped at its end: the next one takes its client id.
    keybox = iot_world.simulate(iot_world.keybox, iot_broker, slots=[car["slot"]]).start()
    try:
        run_sequence(iot, iot_world, iot_bridge, keybox, car, extras)
    finally:
        keybox.stop()


def run_sequence(iot, iot_world, bridge, keybox, car, extras):
    protocol = iot.protocol
    first = iot_world.book(car, minutes=30)
    keybox.wait_for(lambda: first["access_code"] in keybox.codes)
    taken = keybox.emit("key.taken", {"slot": car["slot"], "code": first["access_code"]})
    iot_world.wait_state(first, "ongoing")
    returned = keybox.return_key(car["slot"], odometer=5030)
    first = iot_world.wait_state(first, "done")

    second = iot_world.book(car, minutes=30)
    keybox.wait_for(lambda: second["access_code"] in keybox.codes)
    for extra in extras:
        if extra == "kill_bridge" and bridge.alive():
            bridge.kill()
        elif extra == "duplicate":
            keybox.publish_message(taken).wait_for_publish(5)
        else:
            # A new copy of the first booking's event, dated in its window (an offline buffer).
            old = taken if extra == "stale_taken" else returned
            stale = protocol.device_message(
                keybox.identifier,
                old["type"],
                {"slot": car["slot"]},
                ts=datetime.fromisoformat(old["ts"].replace("Z", "+00:00")).astimezone(
                    timezone.utc
                ),
            )
            keybox.publish_message(stale).wait_for_publish(5)
    keybox.emit("key.taken", {"slot": car["slot"], "code": second["access_code"]})
    if not bridge.alive():
        bridge.start()
    second = iot_world.wait_state(second, "ongoing")
    keybox.return_key(car["slot"], odometer=5075)
    second = iot_world.wait_state(second, "done")
    first_now = iot_world.booking(first["id"])
    assert first_now == first, "nothing changes a booking after its return"
    assert (second["odometer_start"], second["distance_km"]) == (5030, 45)
    assert bridge.alive()
