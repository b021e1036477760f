"""Issue 15, done when: devices written from docs/iot-protocol.md alone (tests/doc_devices.py: a
key box, an immobiliser, a telematics box) pass a simulated day of bookings through a real
Mosquitto, the real `odoo carshare-mqtt` bridges and a real Odoo server.

Four bookings of one car by two drivers, from 06:00 to 18:00 UTC of a day a week ahead: the
server and the bridges run on a clock the test moves (tests/fake_clock.py), the devices date
their messages on the same clock. Codes and badges are pushed, typed, keys taken, telemetry
read, keys returned and kilometres billed; the shipped default configuration (one active bridge,
one on standby, a persistent session, plain subscriptions); the active bridge is killed in the
middle of a trip and the broker restarted in another; the key box is offline at a pick-up and
flushes its buffer; stale events (a late key.taken of a returned booking, an old reading, a
late key.returned with another odometer) change nothing. At the end, over RPC, every booking's
state and billed distance (computed by hand below), the immobiliser's orders, and the log: no
message acted on a booking it does not belong to.
"""

import os
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ROOT, serve_odoo
from doc_devices import DocDevice, format_ts

pytest_plugins = ["iot_fixtures"]

FAKE_CLOCK = os.path.join(ROOT, "tests", "fake_clock.py")
BADGE_A = "04A224B1C35E80"  # the world's driver
BADGE_B = "0B1C2D3E"


class Clock:
    """The day's UTC time: written for the faked processes, ticking with the real time."""

    def __init__(self, folder, start):
        self.path = os.path.join(folder, "clock")
        self.processes = []
        self._write(start)

    def _write(self, moment):
        self.moment, self.set_at = moment, time.time()
        with open(self.path + ".tmp", "w") as out:
            out.write(f"{moment.replace(tzinfo=None).isoformat()} {self.set_at!r}")
        os.replace(self.path + ".tmp", self.path)

    def now(self):
        return self.moment + timedelta(seconds=time.time() - self.set_at)

    @property
    def prefix(self):
        return (sys.executable, FAKE_CLOCK, self.path)

    def move_to(self, moment, *alive):
        """Jump to ``moment``; back once every running faked process has followed."""
        assert moment > self.now(), "the day only goes forward"
        self._write(moment)
        told = moment.replace(tzinfo=None).isoformat()

        def followed(pid):
            try:
                with open(f"{self.path}.{pid}") as answer:
                    return answer.read() == told
            except FileNotFoundError:
                return False

        deadline = time.monotonic() + 10
        while not all(followed(process.pid) for process in alive):
            assert time.monotonic() < deadline, "a faked process did not follow the clock"
            time.sleep(0.02)


@pytest.fixture
def own_broker(iot):
    """A persistent broker of the test's own (the session's bridge must not read it)."""
    broker = iot.Broker().start()
    yield broker
    broker.remove()


def test_a_day_of_bookings(odoo_conf, test_db, tmp_path, iot, iot_world, own_broker, bridges):
    day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    day += timedelta(days=7)

    def at(hhmm):
        hours, minutes = map(int, hhmm.split(":"))
        return day + timedelta(hours=hours, minutes=minutes)

    clock = Clock(str(tmp_path), at("06:00"))
    # The shipped default: one client id, one bridge active, the other on standby. Started with
    # the server, as they load their registries meanwhile.
    options = {"client_id": f"day-bridge-{iot_world.tag}", "prefix": clock.prefix, "wait": False}
    pair = [bridges(own_broker, name=f"day-{number}", **options) for number in range(2)]
    with serve_odoo(odoo_conf, test_db, tmp_path / "server.log", 0, clock.prefix) as started:
        standby = iot.wait_until(
            lambda: next((b for b in pair if "on standby" in b.log()), None), 120, 0.2, "standby"
        )
        active = pair[1 - pair.index(standby)]
        active.wait_ready()
        the_day = DayOfBookings(iot, iot_world, own_broker, [active, standby], clock, *started, at)
        the_day.run()


class DayOfBookings:
    def __init__(self, iot, world, broker, bridges, clock, server, server_process, at):
        self.iot, self.world, self.broker, self.clock, self.server = (
            iot,
            world,
            broker,
            clock,
            server,
        )
        self.at = at
        self.server_process = server_process
        self.bridges = bridges
        self.car = world.vehicle(odometer=5000)
        self.driver_a = world.driver
        self.driver_b = world.create(
            "res.partner",
            {
                "name": f"IoT Driver B {world.tag}",
                "email": f"iot-b-{world.tag}@example.com",
                "carshare_birthdate": "1985-06-01",
                "driving_licence_number": "210987654321",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": "2005-01-01",
                "driving_licence_expiry_date": "2040-01-01",
                "carshare_badge_uid": BADGE_B,
            },
        )
        world.create(
            "carshare.membership",
            {
                "community_id": world.community,
                "partner_id": self.driver_b,
                "audience": "agent",
                "state": "active",
            },
        )
        self.keybox = self.doc_device(world.keybox, slot=self.car["slot"])
        self.immobiliser = self.doc_device(self.car["immobiliser"])
        self.telematics = self.doc_device(self.car["telematics"])

    def doc_device(self, device, slot=None):
        return DocDevice(
            self.broker.port,
            device["identifier"],
            device["secret"],
            device["kind"],
            clock=self.clock.now,
            slot=slot,
        ).start()

    # -- the day's helpers -----------------------------------------------------------------------

    def move_to(self, hhmm):
        alive = [self.server_process] + [b.process for b in self.bridges if b.alive()]
        self.clock.move_to(self.at(hhmm), *alive)

    def book(self, driver, start, end):
        booking_id = self.server.execute(
            "carshare.booking",
            "create",
            {
                "community_id": self.world.community,
                "partner_id": driver,
                "vehicle_id": self.car["id"],
                "date_start": self.odoo_time(start),
                "date_end": self.odoo_time(end),
            },
        )
        self.world.bookings.append(booking_id)
        self.server.execute("carshare.booking", "action_confirm", [booking_id])
        return self.booking(booking_id)

    def odoo_time(self, hhmm):
        return self.at(hhmm).strftime("%Y-%m-%d %H:%M:%S")

    def booking(self, booking_id):
        fields = [
            "name",
            "state",
            "access_code",
            "partner_id",
            "date_pickup",
            "date_return",
            "odometer_start",
            "odometer_end",
            "distance_km",
            "distance_check",
        ]
        return self.server.execute("carshare.booking", "read", [booking_id], fields)[0]

    def wait_state(self, booking, state):
        self.iot.wait_until(
            lambda: self.booking(booking["id"])["state"] == state,
            message=f"booking {booking['name']} {state}",
        )
        return self.booking(booking["id"])

    def processed(self, message):
        """The log of one device message, once a bridge has processed it."""

        def logged():
            logs = self.world.messages([("message_id", "=", message["id"])])
            return logs if any(log["state"] == "processed" for log in logs) else None

        return self.iot.wait_until(logged, message=f"{message['type']} processed")

    def ts(self, hhmm):
        return format_ts(self.at(hhmm))

    # -- the day ---------------------------------------------------------------------------------

    def run(self):
        try:
            self.morning()
            self.noon()
            self.evening()
            self.check_the_day()
        finally:
            for device in (self.keybox, self.immobiliser, self.telematics):
                device.stop()

    def morning(self):
        keybox, slot = self.keybox, self.car["slot"]
        # 06:00, a desk agent books the car for the day: A 07-09, B 09:30-11:30, A 13-15, B 16-18.
        self.x = self.book(self.driver_a, "07:00", "09:00")
        self.y = self.book(self.driver_b, "09:30", "11:30")
        self.z = self.book(self.driver_a, "13:00", "15:00")
        self.w = self.book(self.driver_b, "16:00", "18:00")
        for booking in (self.x, self.y, self.z, self.w):
            keybox.wait_code(booking["access_code"])
            self.immobiliser.wait_code(booking["access_code"])
        self.telematics.wait_for(lambda: {BADGE_A, BADGE_B} <= set(self.telematics.badges))

        # X: A types the code at 06:50, takes the key, drives 41 km (telemetry at 07:30, 08:40),
        # returns the key at 08:45 without an odometer: billed from the last reading, 5041.
        self.move_to("06:50")
        keybox.send("code.typed", {"code": self.x["access_code"], "accepted": True, "slot": slot})
        self.x_taken = keybox.send(
            "key.taken", {"slot": slot, "code": self.x["access_code"]}, self.ts("06:50")
        )
        self.wait_state(self.x, "ongoing")
        self.immobiliser.wait_for(
            lambda: ("immobiliser.disarm", self.x["name"]) in self.immobiliser.immobiliser_orders
        )
        self.move_to("07:30")
        self.processed(self.telematics.send("telemetry", {"odometer": 5020, "battery_level": 70}))
        self.move_to("08:40")
        self.processed(self.telematics.send("telemetry", {"odometer": 5041, "battery_level": 62}))
        self.move_to("08:45")
        keybox.send("key.returned", {"slot": slot, "code": self.x["access_code"]}, self.ts("08:45"))
        self.x = self.wait_state(self.x, "done")
        keybox.wait_code(self.x["access_code"], present=False)

        # 09:16, Y's window is open: the key box flushes a late copy of X's pick-up (a new
        # message dated 06:50, with X's code). X is returned: nothing changes, Y waits for B.
        self.move_to("09:16")
        stale = keybox.send(
            "key.taken", {"slot": slot, "code": self.x["access_code"]}, self.x_taken["ts"]
        )
        logs = self.processed(stale)
        assert "already returned" in logs[0]["result"]
        assert logs[0]["booking_id"][0] == self.x["id"]
        assert self.booking(self.y["id"])["state"] == "confirmed"

        # Y: the key box is offline at the pick-up (09:20): B types the code, takes the key; the
        # box flushes both at 09:40. The booking starts at the event's time.
        keybox.crash()
        self.move_to("09:20")
        keybox.send("code.typed", {"code": self.y["access_code"], "accepted": True, "slot": slot})
        keybox.send("key.taken", {"slot": slot, "code": self.y["access_code"]}, self.ts("09:20"))
        self.move_to("09:40")
        assert self.booking(self.y["id"])["state"] == "confirmed"
        keybox.reconnect()
        self.y = self.wait_state(self.y, "ongoing")
        assert self.y["date_pickup"] == self.odoo_time("09:20")

        # 10:00, mid-trip, the active bridge dies: the standby takes over the session, with the
        # telemetry published meanwhile; the dead one comes back on standby.
        self.move_to("10:00")
        self.bridges[0].kill()
        reading = self.telematics.send("telemetry", {"odometer": 5060, "battery_level": 55})
        self.bridges[1].wait_log("bridge active", "connected to MQTT broker")
        self.processed(reading)
        self.bridges[0].start(wait=False)  # back on standby (checked at the end of the day)

        # 11:00, B returns the key with the odometer: 5077 - 5041 = 36 km.
        self.move_to("11:00")
        keybox.send("key.returned", {"slot": slot, "odometer": 5077}, self.ts("11:00"))
        self.y = self.wait_state(self.y, "done")
        # The revocation reaches the box before the next pick-up, as it would in real time: the
        # clock's jump to 12:50 must not outrun it (past its window the box refuses it, expired).
        keybox.wait_code(self.y["access_code"], present=False)

    def noon(self):
        keybox, slot = self.keybox, self.car["slot"]
        # Z: A takes the key at 12:50; telemetry 5090 at 13:20; at 13:30 the broker restarts:
        # the telematics box, offline, keeps the 14:00 reading (5123) in its buffer and sends it
        # once the broker is back; the key goes back at 14:30 without an odometer: 46 km.
        self.move_to("12:50")
        keybox.send("key.taken", {"slot": slot, "code": self.z["access_code"]}, self.ts("12:50"))
        self.z = self.wait_state(self.z, "ongoing")
        assert self.z["odometer_start"] == 5077
        self.move_to("13:20")
        self.processed(self.telematics.send("telemetry", {"odometer": 5090}))
        self.move_to("13:30")
        self.broker.stop()
        self.telematics.wait_for(lambda: not self.telematics.online)
        self.move_to("13:40")
        self.old_reading = self.telematics.send("telemetry", {"odometer": 5100})
        self.move_to("14:00")
        reading = self.telematics.send("telemetry", {"odometer": 5123})
        self.broker.start()
        for device in (self.keybox, self.immobiliser, self.telematics):
            device.wait_for(lambda device=device: device.online)
        self.processed(reading)
        self.move_to("14:30")
        keybox.send("key.returned", {"slot": slot}, self.ts("14:30"))
        self.z = self.wait_state(self.z, "done")
        keybox.wait_code(self.z["access_code"], present=False)

    def evening(self):
        keybox, slot = self.keybox, self.car["slot"]
        # 15:00, stale: the 13:40 reading sent again, then in a new message (older than the
        # last reading), and a copy of Z's return dated 14:29 with a higher odometer.
        self.move_to("15:00")
        self.telematics.resend(self.old_reading)
        older = self.telematics.send("telemetry", {"odometer": 5100}, self.ts("13:40"))
        assert "ignored" in self.processed(older)[0]["result"]
        late = keybox.send(
            "key.returned",
            {"slot": slot, "code": self.z["access_code"], "odometer": 5200},
            self.ts("14:29"),
        )
        assert "already returned" in self.processed(late)[0]["result"]

        # W: B's badge at the telematics box at 15:50; telemetry 5150 at 17:00; the key back at
        # 17:40 with the odometer 5162: 5162 - 5123 = 39 km.
        self.move_to("15:50")
        self.telematics.send(
            "badge.presented", {"badge": BADGE_B, "accepted": True}, self.ts("15:50")
        )
        self.w = self.wait_state(self.w, "ongoing")
        self.move_to("17:00")
        self.processed(self.telematics.send("telemetry", {"odometer": 5150}))
        self.move_to("17:40")
        keybox.send(
            "key.returned",
            {"slot": slot, "code": self.w["access_code"], "odometer": 5162},
            self.ts("17:40"),
        )
        self.w = self.wait_state(self.w, "done")
        self.immobiliser.wait_for(
            lambda: self.immobiliser.immobiliser_orders[-1] == ("immobiliser.arm", self.w["name"])
        )

    def check_the_day(self):
        bookings = {key: self.booking(getattr(self, key)["id"]) for key in "xyzw"}
        expected = {
            "x": (self.driver_a, "06:50", "08:45", 5000, 5041, 41),
            "y": (self.driver_b, "09:20", "11:00", 5041, 5077, 36),
            "z": (self.driver_a, "12:50", "14:30", 5077, 5123, 46),
            "w": (self.driver_b, "15:50", "17:40", 5123, 5162, 39),
        }
        for key, (driver, pickup, ret, start, end, km) in expected.items():
            booking = bookings[key]
            assert booking["state"] == "done", key
            assert booking["partner_id"][0] == driver, key
            assert booking["date_pickup"] == self.odoo_time(pickup), key
            assert booking["date_return"] == self.odoo_time(ret), key
            assert (booking["odometer_start"], booking["odometer_end"]) == (start, end), key
            assert booking["distance_km"] == km, key
            assert booking["distance_check"] != "held", key
        assert self.world.vehicle_field(self.car, "odometer") == 5162

        # The immobiliser was disarmed for each trip once, by its own booking, armed after it.
        orders = [
            order for order in self.immobiliser.immobiliser_orders if order[1] in self.names()
        ]
        assert orders == [
            (command, bookings[key]["name"])
            for key in "xyzw"
            for command in ("immobiliser.disarm", "immobiliser.arm")
        ]
        # The devices hold nothing of the day any more.
        for booking in bookings.values():
            assert booking["access_code"] not in self.keybox.codes
        assert BADGE_B not in self.telematics.badges

        # Every message linked to a booking is dated inside its window (from its code's opening
        # to its return); those dated after a return are the late ones, which changed nothing.
        windows = {
            b["id"]: b
            for b in self.server.execute(
                "carshare.booking",
                "search_read",
                [("id", "in", [b["id"] for b in bookings.values()])],
                fields=["access_valid_from", "date_return"],
            )
        }
        device_ids = self.world.devices
        logs = self.server.execute(
            "carshare.iot.message",
            "search_read",
            [
                ("device_id", "in", device_ids),
                ("direction", "=", "in"),
                ("booking_id", "!=", False),
            ],
            fields=["booking_id", "device_ts", "result", "state", "message_type"],
        )
        for log in logs:
            window = windows.get(log["booking_id"][0])
            assert window, f"a message of the day acted on another booking: {log}"
            assert window["access_valid_from"] <= log["device_ts"] <= window["date_return"], log
        refused = self.world.messages(
            [("device_id", "in", device_ids), ("state", "in", ("failed", "rejected"))]
        )
        assert not refused, refused
        self.bridges[0].wait_log("on standby")
        assert "connected to MQTT broker" not in self.bridges[0].log()[self.bridges[0].log_offset :]
        assert all(bridge.alive() for bridge in self.bridges)

    def names(self):
        return {getattr(self, key)["name"] for key in "xyzw"}
