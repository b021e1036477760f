"""What the IoT integration tests run: private Mosquitto brokers, the real bridge process
(`odoo carshare-mqtt`), simulated devices, and test data created and removed over JSON-RPC.

Test modules load it with ``pytest_plugins = ["iot_fixtures"]`` and import nothing from it (an
earlier import would keep pytest from loading it as a plugin); the ``iot`` fixture gives them the
protocol and the helpers. Each test talks to brokers of its own on loopback ports 18830-18839, so
that no other bridge (e.g. one started by scripts/run on the shared broker) takes a share of its
messages.
"""

import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
import uuid
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest
from conftest import ROOT, RpcError

sys.path.insert(0, os.path.join(ROOT, "addons", "carshare_iot"))

from iotlib import protocol
from iotlib.simulator import Device

# CARSHARE_TEST_BROKER_PORTS=1916-1919 keeps a developer's runs on ports of their own.
_FIRST, _LAST = os.environ.get("CARSHARE_TEST_BROKER_PORTS", "18830-18839").split("-")
BROKER_PORTS = range(int(_FIRST), int(_LAST) + 1)
ANONYMOUS_BROKER = """\
persistence true
persistence_location {dir}/
log_dest file {dir}/mosquitto.log
allow_anonymous true
max_queued_messages 0
max_inflight_messages 100
listener {port} 127.0.0.1
"""


def wait_until(predicate, timeout=30, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(interval)


def _port_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def odoo_datetime(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class Broker:
    """A Mosquitto of the test's own, which the test may stop and start again."""

    def __init__(self, config=ANONYMOUS_BROKER, files=None):
        # Mosquitto started as root runs as "mosquitto": pytest's private folders are closed to
        # it, a folder of /tmp open to it is not.
        self.folder = tempfile.mkdtemp(prefix="carshare-iot-broker-")
        os.chmod(self.folder, 0o777)
        for name, content in (files or {}).items():
            with open(os.path.join(self.folder, name), "w") as out:
                out.write(content)
        self.port = next(port for port in BROKER_PORTS if _port_free(port))
        self.config_path = os.path.join(self.folder, "mosquitto.conf")
        with open(self.config_path, "w") as out:
            out.write(config.format(dir=self.folder, port=self.port))
        self.process = None

    @property
    def log_path(self):
        return os.path.join(self.folder, "mosquitto.log")

    def start(self):
        self.process = subprocess.Popen(
            ["mosquitto", "-c", self.config_path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: not _port_free(self.port), 10, message="Mosquitto listening")
        return self

    def stop(self):
        """A clean stop (SIGTERM): a persistent broker saves its sessions and queues."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self):
        self.stop()
        wait_until(lambda: _port_free(self.port), 10, message="port released")
        return self.start()

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Bridge:
    """The bridge as production runs it: `odoo carshare-mqtt`, one process."""

    def __init__(
        self,
        odoo_conf,
        db,
        folder,
        broker,
        client_id=None,
        env=None,
        options=None,
        name=None,
        prefix=(),
    ):
        self.db = db
        self.prefix = tuple(prefix)
        self.folder = str(folder)
        self.client_id = client_id or f"test-bridge-{uuid.uuid4().hex[:8]}"
        name = name or self.client_id
        self.conf = os.path.join(self.folder, f"{name}.conf")
        self.log_path = os.path.join(self.folder, f"{name}.log")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(odoo_conf)
        parser["options"]["carshare_mqtt_host"] = "127.0.0.1"
        parser["options"]["carshare_mqtt_port"] = str(broker.port)
        parser["options"].update(options or {})
        with open(self.conf, "w") as out:
            parser.write(out)
        self.env = {**os.environ, "ODOO_RC": self.conf, **(env or {})}
        self.process = None
        self.log_offset = 0

    def start(self, wait=True):
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "a")  # noqa: SIM115 - the process writes to it until it ends
        self.process = subprocess.Popen(
            [
                *self.prefix,
                "odoo",
                "carshare-mqtt",
                "-c",
                self.conf,
                "-d",
                self.db,
                "--client-id",
                self.client_id,
                "--max-cron-threads=0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        log.close()
        if wait:
            self.wait_ready()
        return self

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def wait_ready(self, timeout=60):
        self.wait_log("bridge ready", "connected to MQTT broker", timeout=timeout)

    def wait_log(self, *texts, timeout=60, since=None):
        """Until the bridge has written these since it started (or since offset ``since``)."""

        def written():
            if self.process.poll() is not None:
                raise AssertionError(f"bridge exited:\n{self.log()[-3000:]}")
            text = self.log()[self.log_offset if since is None else since :]
            return all(expected in text for expected in texts)

        wait_until(written, timeout, 0.2, " and ".join(texts))

    def log_size(self):
        return os.path.getsize(self.log_path)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self):
        self.process.kill()
        self.process.wait()


class World:
    """A community, a station that never closes, vehicles with their devices and a driver,
    created for the tests and removed after them."""

    def __init__(self, odoo):
        self.odoo = odoo
        self.tag = uuid.uuid4().hex[:6]
        self.created = []  # (model, id), removed in reverse order
        self.bookings = []
        self.vehicles = []
        self.devices = []
        self.slots = 0

    def create(self, model, values):
        record_id = self.odoo.execute(model, "create", values)
        self.created.append((model, record_id))
        return record_id

    def read(self, model, record_id, fields):
        return self.odoo.execute(model, "read", [record_id], fields)[0]

    def setup(self):
        self.community = self.create(
            "carshare.community",
            {
                "name": f"IoT test {self.tag}",
                "min_lead_minutes": 0,
                "buffer_minutes": 0,
                "max_upcoming_bookings": 0,
                "grace_minutes": 15,
                "access_lead_minutes": 15,
            },
        )
        self.station = self.create(
            "carshare.station",
            {
                "name": f"IoT test station {self.tag}",
                "code": f"IOT{self.tag}",
                "tz": "Europe/Paris",
                "closed_from": 0.0,
                "closed_to": 0.0,
                "community_ids": [(4, self.community)],
            },
        )
        brand = self.create("fleet.vehicle.model.brand", {"name": f"IoT Motors {self.tag}"})
        self.model = self.create(
            "fleet.vehicle.model",
            {"name": "Simulated", "brand_id": brand, "default_fuel_type": "electric"},
        )
        self.driver = self.create(
            "res.partner",
            {
                "name": f"IoT Driver {self.tag}",
                "email": f"iot-{self.tag}@example.com",
                "carshare_birthdate": "1990-01-01",
                "driving_licence_number": "123456789012",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": "2010-01-01",
                "driving_licence_expiry_date": "2040-01-01",
                "carshare_badge_uid": "04A224B1C35E80",
            },
        )
        self.create(
            "carshare.membership",
            {
                "community_id": self.community,
                "partner_id": self.driver,
                "audience": "agent",
                "state": "active",
            },
        )
        self.keybox = self.device("keybox", station_id=self.station)
        return self

    def device(self, kind, **place):
        identifier = f"t{self.tag}-{kind}-{len(self.devices)}"
        device_id = self.create(
            "carshare.iot.device",
            {"name": identifier, "identifier": identifier, "kind": kind, **place},
        )
        self.devices.append(device_id)
        return self.read("carshare.iot.device", device_id, ["identifier", "secret", "kind"])

    def vehicle(self, odometer=5000):
        """A shared vehicle in a slot of the key box, with an immobiliser and a telematics box."""
        self.slots += 1
        slot = f"S{self.slots}"
        vehicle_id = self.create(
            "fleet.vehicle",
            {
                "model_id": self.model,
                "license_plate": f"IOT-{self.tag}-{self.slots}",
                "carshare_shared": True,
                "carshare_station_id": self.station,
                "carshare_community_ids": [(4, self.community)],
                "carshare_keybox_slot": slot,
                "carshare_battery_level": 80,
                "carshare_range_km": 300,
                "carshare_has_immobiliser": True,
                "carshare_has_telematics": True,
            },
        )
        self.vehicles.append(vehicle_id)
        self.odoo.execute("fleet.vehicle", "write", [vehicle_id], {"odometer": odometer})
        return {
            "id": vehicle_id,
            "slot": slot,
            "immobiliser": self.device("immobiliser", vehicle_id=vehicle_id),
            "telematics": self.device("telematics", vehicle_id=vehicle_id),
        }

    def book(self, vehicle, start_in=1, minutes=60):
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        start = now + timedelta(minutes=start_in)
        booking_id = self.odoo.execute(
            "carshare.booking",
            "create",
            {
                "community_id": self.community,
                "partner_id": self.driver,
                "vehicle_id": vehicle["id"],
                "date_start": odoo_datetime(start),
                "date_end": odoo_datetime(start + timedelta(minutes=minutes)),
            },
        )
        self.bookings.append(booking_id)
        self.odoo.execute("carshare.booking", "action_confirm", [booking_id])
        return self.booking(booking_id)

    def booking(self, booking_id):
        return self.read(
            "carshare.booking",
            booking_id,
            [
                "name",
                "state",
                "access_code",
                "odometer_start",
                "odometer_end",
                "distance_km",
                "energy_end",
                "pickup_latitude",
            ],
        )

    def commands(self, booking_id):
        return self.odoo.execute(
            "carshare.iot.command",
            "search_read",
            [("booking_id", "=", booking_id)],
            fields=["command_type", "state", "device_id", "attempts"],
        )

    def messages(self, domain):
        return self.odoo.execute(
            "carshare.iot.message",
            "search_read",
            domain,
            fields=["state", "result", "message_id", "message_type", "booking_id"],
        )

    def wait_state(self, booking, state):
        wait_until(
            lambda: self.booking(booking["id"])["state"] == state,
            message=f"booking {booking['name']} {state}",
        )
        return self.booking(booking["id"])

    def wait_acked(self, booking, *devices):
        """Until the commands of the booking (to these devices, by default all) are acked."""
        ids = {device["id"] for device in devices}

        def acked():
            commands = [
                c for c in self.commands(booking["id"]) if not ids or c["device_id"][0] in ids
            ]
            return commands and all(c["state"] == "acked" for c in commands)

        wait_until(acked, message="every command acknowledged")

    def vehicle_field(self, vehicle, field):
        return self.read("fleet.vehicle", vehicle["id"], [field])[field]

    def device_status(self, device):
        return self.read("carshare.iot.device", device["id"], ["status"])["status"]

    def simulate(self, device, broker, **options):
        return Device(
            device["identifier"], device["secret"], device["kind"], port=broker.port, **options
        )

    def cleanup(self):
        """Cancel the test's bookings that have not started and remove what the test made.
        Started or ended bookings stay on record, as in production (their state changes only
        through their actions), and what they still refer to is archived instead."""
        execute = self.odoo.execute
        for booking in self.bookings:
            if self.booking(booking)["state"] in ("draft", "confirmed"):
                execute("carshare.booking", "action_cancel", [booking])
        for model, record_id in reversed(self.created):
            try:
                execute(model, "unlink", [record_id])
            except RpcError:
                fields = execute(model, "fields_get", [], attributes=["type"])
                if "active" in fields:
                    execute(model, "write", [record_id], {"active": False})


@pytest.fixture(scope="session")
def iot():
    """The protocol and the helpers, for test modules (which import nothing from here)."""
    return types.SimpleNamespace(protocol=protocol, wait_until=wait_until, Broker=Broker, mqtt=mqtt)


@pytest.fixture(scope="module")
def iot_world(odoo):
    world = World(odoo).setup()
    yield world
    world.cleanup()


def psql(db, sql):
    return subprocess.run(
        ["psql", "-d", db, "-tAc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def cut_database_connections(db, process):
    """What a database restart does to a bridge: its connections terminated; how many."""
    return int(
        psql(
            db,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE application_name = 'odoo-{process.pid}'",
        )
    )


@pytest.fixture(scope="session")
def outbox_restored(test_db):
    """The bridges of the tests also send the database's own pending commands (demo bookings):
    their state and the log rows the bridges write are put back afterwards."""
    saved = psql(
        test_db,
        "SELECT coalesce(json_agg(c), '[]') FROM (SELECT id, state, attempts, sent_at, "
        "next_attempt_at FROM carshare_iot_command WHERE state IN ('pending', 'sent')) c",
    )
    last_message = psql(test_db, "SELECT coalesce(max(id), 0) FROM carshare_iot_message")
    yield
    psql(test_db, f"DELETE FROM carshare_iot_message WHERE id > {int(last_message)}")
    psql(
        test_db,
        "UPDATE carshare_iot_command c SET state = s.state, attempts = s.attempts, "
        "sent_at = s.sent_at, next_attempt_at = s.next_attempt_at "
        f"FROM json_populate_recordset(NULL::carshare_iot_command, '{saved}') s "
        "WHERE c.id = s.id",
    )


@pytest.fixture(scope="session")
def iot_broker():
    """A private broker for the whole session; tests may restart it."""
    broker = Broker().start()
    yield broker
    broker.remove()


@pytest.fixture(scope="session")
def iot_bridge(odoo, odoo_conf, test_db, tmp_path_factory, iot_broker, outbox_restored):
    """The bridge of the session, on ``iot_broker``; tests may kill and start it again."""
    bridge = Bridge(
        odoo_conf,
        test_db,
        tmp_path_factory.mktemp("bridge"),
        iot_broker,
        client_id=f"test-bridge-{uuid.uuid4().hex[:8]}",
    ).start()
    yield bridge
    bridge.stop()


@pytest.fixture
def bridges(odoo, odoo_conf, test_db, tmp_path, outbox_restored):
    """Start bridges with ``bridges(broker, ...)``; all are stopped at the end of the test."""
    started = []

    def start(broker, wait=True, **options):
        options.setdefault("name", f"bridge-{len(started)}")
        bridge = Bridge(odoo_conf, test_db, tmp_path, broker, **options)
        started.append(bridge)
        return bridge.start(wait)

    yield start
    for bridge in started:
        bridge.stop()


@pytest.fixture
def devices():
    """Start simulated devices with ``devices(device)``; all are stopped at the end."""
    started = []

    def start(device, wait=10):
        started.append(device)
        return device.start(wait)

    yield start
    for device in started:
        if device.connected.is_set():
            device.stop()
