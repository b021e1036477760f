"""The demo's simulated devices: every active device of a database online on the broker, and a
demo trip (key taken, telemetry, key returned) driven through them on request.

The devices keep their broker sessions in the serving process; ``--trip`` asks that process,
over the broker, to drive one booking's trip, then follows the booking in the database until it
is returned. For a local broker that accepts anonymous clients (development and demo): the
devices' broker passwords are kept by Odoo as hashes only.
"""

import argparse
import json
import logging
import signal
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt

from odoo import SUPERUSER_ID, api, fields
from odoo.cli import Command
from odoo.modules.registry import Registry
from odoo.tools import config

from ..iotlib import protocol
from ..iotlib.simulator import Device
from .bridge import Settings

_logger = logging.getLogger(__name__)

TRIP_TOPIC = "carshare-demo/{db}/trip"
CODE_WAIT_SECONDS = 60
TRIP_WAIT_SECONDS = 120
START_SOON_SECONDS = 1800
# The simulated car drives at this share of its community's plausible average speed: any
# faster, the product would hold the distance for a manager, as it does a real impossible one.
DEMO_PACE = 0.8
TELEMETRY_SECONDS = 10


def trip_seconds(km, max_speed_kmh):
    """How long the demo trip of ``km`` lasts, in real time."""
    return km / (DEMO_PACE * max_speed_kmh) * 3600


class Fleet:
    """The simulated devices of one database, by identifier."""

    def __init__(self, dbname, settings):
        self.dbname = dbname
        self.settings = settings
        self.devices = {}

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def start(self):
        with Registry(self.dbname).cursor() as cr:
            env = self._env(cr)
            for record in env["carshare.iot.device"].search([]):
                device = Device(
                    record.identifier,
                    record.secret,
                    record.kind,
                    host=self.settings.host,
                    port=self.settings.port,
                    slots=self._slots(record),
                )
                vehicle = record.vehicle_id
                if vehicle:
                    device.readings.update(
                        odometer=vehicle.odometer,
                        battery_level=vehicle.carshare_battery_level,
                        range_km=vehicle.carshare_range_km,
                    )
                # Nothing kept from a previous run: a new session, and Odoo pushes the codes.
                self.devices[record.identifier] = device.start(wait=0, clean_start=True)
        for device in self.devices.values():
            if not device.connected.wait(10):
                _logger.warning("%s: not connected to the broker yet", device.identifier)
        _logger.info("%d simulated devices online", len(self.devices))

    @staticmethod
    def _slots(record):
        if record.kind != "keybox":
            return []
        vehicles = record.env["fleet.vehicle"].search(
            [
                ("carshare_station_id", "=", record.station_id.id),
                ("carshare_keybox_slot", "!=", False),
            ]
        )
        return vehicles.mapped("carshare_keybox_slot")

    def stop(self):
        for device in self.devices.values():
            device.stop()

    def trip(self, booking_id, km, energy):
        """Drive the trip of a booking: code typed, key taken, engine on, telemetry on the way,
        key returned at the station."""
        with Registry(self.dbname).cursor() as cr:
            booking = self._env(cr)["carshare.booking"].browse(booking_id)
            code = booking.access_code
            vehicle = booking.vehicle_id
            slot = vehicle.carshare_keybox_slot
            station = vehicle.carshare_station_id
            by_kind = {device.kind: device.identifier for device in vehicle.carshare_iot_device_ids}
            keybox_id = station.iot_device_ids.filtered(lambda d: d.kind == "keybox")[:1].identifier
            position = {"lat": station.latitude, "lon": station.longitude}
            name = booking.name
            duration = trip_seconds(km, booking.community_id.max_average_speed_kmh)
        keybox = self.devices[keybox_id]
        immobiliser = self.devices.get(by_kind.get("immobiliser"))
        telematics = self.devices.get(by_kind.get("telematics"))
        _logger.info("trip of %s: waiting for its code on %s", name, keybox.identifier)
        keybox.wait_for(lambda: code in keybox.codes, CODE_WAIT_SECONDS)
        valid_from = protocol.parse_ts(keybox.codes[code]["valid_from"])
        wait = (valid_from - protocol.utcnow()).total_seconds()
        if wait > 0:
            _logger.info("trip of %s: the code opens the box in %d s", name, wait)
            time.sleep(wait + 1)
        if not keybox.type_code(code):
            _logger.warning("trip of %s: the key box refused code %s", name, code)
            return
        if immobiliser:
            immobiliser.wait_for(lambda: not immobiliser.armed, CODE_WAIT_SECONDS)
            immobiliser.ignition_on(code=code)
        _logger.info("trip of %s: %g km, back in %d s", name, km, duration)
        if telematics:
            telematics.telemetry(trigger="pickup", position=position)
            start = dict(telematics.readings)
            legs = max(int(duration // TELEMETRY_SECONDS), 2)
            for leg in range(1, legs + 1):
                time.sleep(duration / legs)
                telematics.telemetry(
                    odometer=start["odometer"] + km * leg / legs,
                    battery_level=max(round(start["battery_level"] - energy * leg / legs), 0),
                    range_km=max(round(start["range_km"] - km * leg / legs), 0),
                )
            telematics.telemetry(trigger="return", position=position)
        else:
            time.sleep(duration)
        if immobiliser:
            immobiliser.ignition_off()
        time.sleep(1)
        keybox.return_key(slot, code=code)
        _logger.info("trip of %s: %s km driven, key returned to slot %s", name, km, slot)


def _current_booking(env, name):
    """The booking named ``name``, else the resident's booking under way or starting soon."""
    bookings = env["carshare.booking"]
    if name:
        return bookings.search([("name", "=", name)], limit=1)
    now = fields.Datetime.now()
    domain = [
        ("state", "in", ("confirmed", "ongoing")),
        ("date_start", "<=", now + timedelta(seconds=START_SOON_SECONDS)),
        ("date_end", ">", now),
        ("vehicle_id.carshare_station_id.iot_device_ids.kind", "=", "keybox"),
    ]
    resident = env.ref("carshare_portal.user_resident_marie_dubois", raise_if_not_found=False)
    if resident:
        mine = bookings.search([*domain, ("partner_id", "=", resident.partner_id.id)], limit=1)
        if mine:
            return mine
    return bookings.search(domain, order="date_start desc", limit=1)


class CarshareDevices(Command):
    """Run the demo's simulated devices (key boxes, immobilisers, telematics boxes), or drive a
    demo trip through them"""

    name = "carshare-devices"

    def run(self, args):
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument("--trip", action="store_true", help="drive a demo trip and exit")
        parser.add_argument("--booking", help="reference of the booking (default: the current one)")
        parser.add_argument(
            "--km",
            type=float,
            default=5.0,
            help="distance driven (default 5), at 80%% of the community's plausible speed",
        )
        parser.add_argument("--energy", type=float, default=9.0, help="battery used, in %%")
        options, odoo_args = parser.parse_known_args(args)
        config.parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        config.parse_config(odoo_args, setup_logging=True)
        dbname = config["db_name"]
        if not dbname or "," in dbname:
            sys.exit("carshare-devices: give one database with -d")
        settings = Settings()
        topic = TRIP_TOPIC.format(db=dbname)
        if options.trip:
            sys.exit(self._ask_trip(dbname, settings, topic, options))
        self._serve(dbname, settings, topic)

    def _serve(self, dbname, settings, topic):
        fleet = Fleet(dbname, settings)
        fleet.start()
        stopping = threading.Event()

        def on_request(_client, _userdata, message):
            try:
                request = json.loads(message.payload)
                args = (int(request["booking"]), float(request["km"]), float(request["energy"]))
            except (ValueError, KeyError, TypeError):
                _logger.warning("unreadable trip request %r", message.payload[:200])
                return
            threading.Thread(target=self._drive, args=(fleet, *args), daemon=True).start()

        control = self._client(settings, f"carshare-demo-devices-{dbname}")
        control.on_connect = lambda client, *_a: client.subscribe(topic, qos=1)
        control.on_message = on_request
        control.connect(settings.host, settings.port)
        control.loop_start()
        signal.signal(signal.SIGTERM, lambda *_a: stopping.set())
        signal.signal(signal.SIGINT, lambda *_a: stopping.set())
        stopping.wait()
        control.loop_stop()
        fleet.stop()

    @staticmethod
    def _drive(fleet, booking_id, km, energy):
        try:
            fleet.trip(booking_id, km, energy)
        except Exception:  # the devices stay online for the next trip
            _logger.exception("the demo trip of booking %s stopped", booking_id)

    @staticmethod
    def _client(settings, client_id):
        return mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )

    def _ask_trip(self, dbname, settings, topic, options):
        with Registry(dbname).cursor() as cr:
            booking = _current_booking(api.Environment(cr, SUPERUSER_ID, {}), options.booking)
            if not booking:
                return "carshare-devices: no booking under way now (book one in the portal first)"
            booking_id, name = booking.id, booking.name
            starts_in = max((booking.date_start - fields.Datetime.now()).total_seconds(), 0)
            duration = trip_seconds(options.km, booking.community_id.max_average_speed_kmh)
        client = self._client(settings, f"carshare-demo-trip-{protocol.new_id()}")
        client.connect(settings.host, settings.port)
        client.loop_start()
        request = {"booking": booking_id, "km": options.km, "energy": options.energy}
        client.publish(topic, json.dumps(request), qos=1).wait_for_publish(10)
        client.loop_stop()
        client.disconnect()
        sys.stdout.write(
            f"{name}: trip of {options.km:g} km asked to the simulated devices, back in "
            f"about {duration / 60:.0f} min\n"
        )
        deadline = time.monotonic() + starts_in + duration + TRIP_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(2)
            with Registry(dbname).cursor() as cr:
                booking = api.Environment(cr, SUPERUSER_ID, {})["carshare.booking"].browse(
                    booking_id
                )
                if booking.state == "done":
                    sys.stdout.write(
                        f"{name} returned: {booking.odometer_start:g} -> "
                        f"{booking.odometer_end:g} km, {booking.distance_km:g} km to bill\n"
                    )
                    return 0
        return f"{name}: not returned in time (are the simulated devices running?)"
