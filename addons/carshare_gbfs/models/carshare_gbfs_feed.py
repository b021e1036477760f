import functools
import json
import re
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .fleet_vehicle import gbfs_vehicle_id

VERSIONS = ("3.0", "3.1-RC3")
# The files of each version, in the order of the discovery file.
FEEDS = {
    "3.0": (
        "gbfs",
        "gbfs_versions",
        "system_information",
        "vehicle_types",
        "station_information",
        "station_status",
        "vehicle_status",
        "system_alerts",
        "system_pricing_plans",
    ),
}
FEEDS["3.1-RC3"] = (*FEEDS["3.0"], "vehicle_availability")
LIVE_FEEDS = {"station_status", "vehicle_status", "vehicle_availability", "system_alerts"}
VERSION_PATH = {"3.0": "", "3.1-RC3": "3.1-RC3/"}
PROPULSION = {
    "diesel": "combustion_diesel",
    "gasoline": "combustion",
    "full_hybrid": "hybrid",
    "plug_in_hybrid_diesel": "plug_in_hybrid",
    "plug_in_hybrid_gasoline": "plug_in_hybrid",
    "cng": "combustion",
    "lpg": "combustion",
    "hydrogen": "hydrogen_fuel_cell",
    "electric": "electric",
}
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
VEHICLE_COLUMNS = (
    "id",
    "carshare_station_id",
    "carshare_state",
    "carshare_range_km",
    "carshare_battery_level",
    "carshare_gbfs_rotation",
    "model_id",
    "fuel_type",
    "write_date",
)


@functools.lru_cache(maxsize=65536)
def rfc3339(moment):
    """``moment`` (naive UTC) as GBFS writes times; most repeat (hours, closings): cached."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def free_slots(blocked, start, end, min_length):
    """The gaps of ``blocked`` (sorted (from, to) pairs) within [start, end), each at least
    ``min_length`` long."""
    slots, cursor = [], start
    for busy_from, busy_to in blocked:
        if busy_from > cursor:
            if busy_from >= end:
                break
            if busy_from - cursor >= min_length:
                slots.append((cursor, busy_from))
        if busy_to > cursor:
            cursor = busy_to
            if cursor >= end:
                return slots
    if end - cursor >= min_length:
        slots.append((cursor, end))
    return slots


class CarshareGbfsFeed(models.AbstractModel):
    """Builds the GBFS files of a community from the booking engine, and serves them cached.

    Everything runs as superuser on the data that is public by nature (stations, vehicles,
    when they can be booked, prices); no driver, booking or internal note ever gets in.
    """

    _name = "carshare.gbfs.feed"
    _description = "GBFS Feed Builder"

    # -- serving ---------------------------------------------------------------------------------

    @api.model
    def _base_url(self):
        return self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")

    @api.model
    def _published(self, system_id):
        return (
            self.env["carshare.community"]
            .sudo()
            .search([("gbfs_enabled", "=", True), ("gbfs_system_id", "=", system_id)], limit=1)
        )

    @api.model
    def _feeds(self, community, version):
        feeds = FEEDS[version]
        if not self._has_pricing_plans(community):
            feeds = tuple(feed for feed in feeds if feed != "system_pricing_plans")
        return feeds

    @api.model
    def _document(self, community, version, feed):
        """(etag, last_updated, ttl, expires) of the cached file, generated when stale; the body
        comes from ``carshare.gbfs.document._body(key)`` only when the consumer needs it."""
        documents = self.env["carshare.gbfs.document"].sudo()
        key = self._key(community, version, feed)
        fresh = documents._fresh(key)
        if fresh:
            return key, fresh[:4]
        generated = self._generate(community, version, feed)
        return key, documents._store(key, community, version, feed, generated)

    @api.model
    def _key(self, community, version, feed):
        system = community.gbfs_system_id if community else "_operator"
        return f"{system}/{version}/{feed}"

    @api.model
    def _generate(self, community, version, feed):
        """(body, hash of the content, generation time, ttl) of one file."""
        community = community.sudo().with_context(lang=self._lang(community))
        now = fields.Datetime.now().replace(microsecond=0)
        ttl = self._ttl(community, feed)
        builder = self._builders()[feed]
        data = builder(community, version, now)
        content = json.dumps(
            {"ttl": ttl, "version": version, "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        data_hash = self.env["carshare.gbfs.document"]._hash(content)
        body = b'{"last_updated":"%s",%s' % (rfc3339(now).encode(), content[1:])
        return body, data_hash, now, ttl

    @api.model
    def _builders(self):
        return {
            "gbfs": self._gbfs,
            "gbfs_versions": self._gbfs_versions,
            "system_information": self._system_information,
            "vehicle_types": self._vehicle_types,
            "station_information": self._station_information,
            "station_status": self._station_status,
            "vehicle_status": self._vehicle_status,
            "system_alerts": self._system_alerts,
            "system_pricing_plans": self._system_pricing_plans,
            "vehicle_availability": self._vehicle_availability,
            "manifest": self._manifest,
        }

    @api.model
    def _ttl(self, community, feed):
        if not community:
            return 300
        return community.gbfs_ttl if feed in LIVE_FEEDS else community.gbfs_static_ttl

    @api.model
    def _lang(self, community):
        lang = community.company_id.partner_id.lang if community else False
        return lang or self.env.ref("base.user_admin").sudo().lang or "en_US"

    @api.model
    def _language(self, community):
        return self._lang(community).split("_")[0].lower()

    def _text(self, community, text):
        return [{"text": text, "language": self._language(community)}]

    @api.model
    def _url(self, community, version, feed):
        return (
            f"{self._base_url()}/gbfs/{community.gbfs_system_id}/{VERSION_PATH[version]}{feed}.json"
        )

    # -- discovery -------------------------------------------------------------------------------

    def _gbfs(self, community, version, now):
        return {
            "feeds": [
                {"name": feed, "url": self._url(community, version, feed)}
                for feed in self._feeds(community, version)
            ]
        }

    def _gbfs_versions(self, community, version, now):
        versions = VERSIONS[: VERSIONS.index(version) + 1]
        return {
            "versions": [
                {"version": each, "url": self._url(community, each, "gbfs")} for each in versions
            ]
        }

    def _manifest(self, community, version, now):
        """Every published system of the operator, in the versions that ``version`` can name."""
        base = self._base_url()
        versions = VERSIONS[: VERSIONS.index(version) + 1]
        systems = self.env["carshare.community"].sudo().search([("gbfs_enabled", "=", True)])
        return {
            "datasets": [
                {
                    "system_id": system.gbfs_system_id,
                    "versions": [
                        {
                            "version": each,
                            "url": f"{base}/gbfs/{system.gbfs_system_id}/"
                            f"{VERSION_PATH[each]}gbfs.json",
                        }
                        for each in versions
                    ],
                }
                for system in systems.sorted("gbfs_system_id")
            ]
        }

    # -- reference data --------------------------------------------------------------------------

    def _timezone(self, community):
        stations = community.station_ids.filtered("tz")
        tz = stations[:1].tz or community.company_id.partner_id.tz or "Europe/Paris"
        return tz if tz in pytz.all_timezones_set else "Europe/Paris"

    def _opening_hours(self, community):
        if community.gbfs_opening_hours:
            return community.gbfs_opening_hours
        hours = {station._gbfs_opening_hours() for station in self._stations(community)}
        return hours.pop() if len(hours) == 1 else "24/7"

    def _system_information(self, community, version, now):
        company = community.company_id
        info = {
            "system_id": community.gbfs_system_id,
            "languages": [self._language(community)],
            "name": self._text(community, community.name),
            "opening_hours": self._opening_hours(community),
            "operator": self._text(community, company.name),
            "feed_contact_email": community.gbfs_contact_email,
            "timezone": self._timezone(community),
            "license_id": community.gbfs_license,
            "attribution_organization_name": self._text(community, company.name),
            "manifest_url": f"{self._base_url()}/gbfs/{VERSION_PATH[version]}manifest.json",
        }
        if company.website and company.website.startswith(("http://", "https://")):
            info["url"] = company.website
        if company.email:
            info["email"] = company.email
        phone = re.sub(r"[\s.()-]", "", company.phone or "")
        if E164.match(phone):
            info["phone_number"] = phone
        return info

    def _stations(self, community):
        """The published stations: the community's active stations with a position."""
        return community.station_ids.filtered(lambda s: s.active and (s.latitude or s.longitude))

    def _vehicles(self, community, stations=None):
        """The published vehicles, as dicts read in one query: the community's shared vehicles
        at a published station (the booking engine's domain)."""
        stations = stations if stations is not None else self._stations(community)
        vehicles = self.env["fleet.vehicle"].sudo()
        vehicles.flush_model(VEHICLE_COLUMNS[1:])
        domain = self.env["carshare.availability"]._vehicle_domain(None, community, None)
        query = vehicles._search([*domain, ("carshare_station_id", "in", stations.ids)])
        query.order = SQL.identifier(query.table, "id")
        self.env.cr.execute(
            query.select(*(SQL.identifier(query.table, name) for name in VEHICLE_COLUMNS))
        )
        return self.env.cr.dictfetchall()

    @staticmethod
    def _vehicle_type_id(vehicle):
        return f"model-{vehicle['model_id']}"

    def _vehicle_types(self, community, version, now):
        vehicles = self._vehicles(community)
        by_model = {}
        for vehicle in vehicles:
            by_model.setdefault(vehicle["model_id"], []).append(vehicle)
        plans = [plan["plan_id"] for plan in self._pricing_plans(community, version)]
        types = []
        for model in self.env["fleet.vehicle.model"].sudo().browse(sorted(by_model)):
            rows = by_model[model.id]
            propulsion = PROPULSION.get(
                rows[0]["fuel_type"] or model.default_fuel_type, "combustion"
            )
            vehicle_type = {
                "vehicle_type_id": self._vehicle_type_id(rows[0]),
                "form_factor": "car",
                "propulsion_type": propulsion,
                "name": self._text(community, model.display_name),
                "make": self._text(community, model.brand_id.name),
                "model": self._text(community, model.name),
                "return_constraint": "roundtrip_station",
            }
            max_range = model.vehicle_range or max(row["carshare_range_km"] or 0 for row in rows)
            vehicle_type["max_range_meters"] = float(max_range * 1000)
            if model.seats:
                vehicle_type["rider_capacity"] = model.seats
            accessories = []
            if model.transmission:
                accessories.append(model.transmission)
            if 2 <= model.doors <= 5:
                accessories.append(f"doors_{model.doors}")
            if accessories:
                vehicle_type["vehicle_accessories"] = accessories
            if model.default_co2:
                vehicle_type["g_CO2_km"] = int(round(model.default_co2))
            if plans:
                vehicle_type["default_pricing_plan_id"] = plans[0]
                vehicle_type["pricing_plan_ids"] = plans
            types.append(vehicle_type)
        return {"vehicle_types": types}

    def _station_information(self, community, version, now):
        vehicles = self._vehicles(community)
        telematics = set(
            self.env["fleet.vehicle"]
            .sudo()
            .search(
                [("id", "in", [v["id"] for v in vehicles]), ("carshare_has_telematics", "=", True)]
            )
            .carshare_station_id.ids
        )
        per_station = {}
        for vehicle in vehicles:
            counts = per_station.setdefault(vehicle["carshare_station_id"], {})
            type_id = self._vehicle_type_id(vehicle)
            counts[type_id] = counts.get(type_id, 0) + 1
        stations = []
        for station in self._stations(community):
            counts = per_station.get(station.id, {})
            info = {
                "station_id": str(station.id),
                "name": self._text(community, station.name),
                "lat": round(station.latitude, 7),
                "lon": round(station.longitude, 7),
                "station_opening_hours": station._gbfs_opening_hours(),
                "rental_methods": ["creditcard"]
                + (["key"] if station.keybox_ref else [])
                + (["phone"] if station.id in telematics else []),
                "is_charging_station": station.charge_point_count > 0,
                "capacity": sum(counts.values()),
                "vehicle_docks_capacity": [
                    {"vehicle_type_ids": [type_id], "count": count}
                    for type_id, count in sorted(counts.items())
                ],
            }
            if station.code:
                info["short_name"] = self._text(community, station.code)
            address = station._address_query()
            if address:
                info["address"] = address
            if station.partner_id.zip:
                info["post_code"] = station.partner_id.zip
            if version != "3.0" and station.partner_id.city:
                info["city"] = station.partner_id.city
            stations.append(info)
        return {"stations": stations}

    def _has_pricing_plans(self, community):
        """Whether the community has prices to publish; the billing bridge says so."""
        return False

    def _pricing_plans(self, community, version):
        """GBFS pricing plans of the community; the billing bridge fills them from the tariff."""
        return []

    def _system_pricing_plans(self, community, version, now):
        return {"plans": self._pricing_plans(community, version)}

    # -- live data -------------------------------------------------------------------------------

    def _availability(self, community, now):
        """What the public (residents) can book, for the published vehicles:

        ``vehicles`` (the rows of ``_vehicles``), ``slots`` ({vehicle id: [(from, to)]}, when
        each can be booked from the minimum notice to the published horizon, buffer, closing
        hours, maintenance and the agents' priority hours before their release included),
        ``busy_now`` (vehicle ids taken now), ``disabled`` (in maintenance now), ``closed``
        (station ids closed now) and ``start`` (the first moment one can book).
        """
        stations = self._stations(community)
        vehicles = self._vehicles(community, stations)
        ids = [vehicle["id"] for vehicle in vehicles]
        # Slots open at the notice rounded up to 5 minutes: the file stays the same between
        # two refreshes while nothing is booked, and keeps its ETag.
        start = now + timedelta(minutes=community.min_lead_minutes)
        start += timedelta(seconds=-start.timestamp() % 300)
        end = now + timedelta(days=community.gbfs_availability_days)
        if community.horizon_days:
            end = min(end, now + timedelta(days=community.horizon_days))
        busy = self.env["carshare.availability"].sudo()._busy_intervals(ids, now, end)
        windows = (
            self.env["fleet.vehicle"].sudo().browse(ids)._carshare_maintenance_overlaps(now, end)
        )
        maintenance = {}
        for window in windows:
            maintenance.setdefault(window.vehicle_id.id, []).append(
                (window.date_start, window.date_end)
            )
        priority = self._priority_intervals(community, now, end)
        station_blocks, closed, by_hours = {}, set(), {}
        # Stations with the same closing hours share their blocked periods.
        for station in stations:
            hours = (station.tz, station.closed_from, station.closed_to)
            if hours not in by_hours:
                blocks = sorted(station._gbfs_closed_intervals(now, end) + priority)
                by_hours[hours] = (blocks, station._is_closed_at(now))
            station_blocks[station.id], is_closed = by_hours[hours]
            if is_closed:
                closed.add(station.id)
        min_length = timedelta(hours=community.min_duration)
        slots, busy_now, disabled = {}, set(), set()
        for vehicle in vehicles:
            vehicle_id = vehicle["id"]
            own = busy.get(vehicle_id, [])
            if any(busy_from <= now < busy_to for busy_from, busy_to in own):
                busy_now.add(vehicle_id)
            off = maintenance.get(vehicle_id, [])
            if vehicle["carshare_state"] in ("maintenance", "out_of_service") or any(
                window_from <= now < window_to for window_from, window_to in off
            ):
                disabled.add(vehicle_id)
            if vehicle["carshare_state"] in ("maintenance", "out_of_service"):
                slots[vehicle_id] = []
                continue
            blocked = sorted(own + off + station_blocks[vehicle["carshare_station_id"]])
            slots[vehicle_id] = free_slots(blocked, start, end, min_length)
        return {
            "vehicles": vehicles,
            "slots": slots,
            "busy_now": busy_now,
            "disabled": disabled,
            "closed": closed,
            "start": start,
            "stations": stations,
        }

    def _priority_intervals(self, community, start, end):
        """The agents' priority hours in [start, end) not yet released to residents."""
        calendar = community.priority_calendar_id
        release = start + timedelta(hours=community.release_delay_hours)
        if not calendar or release >= end:
            return []
        intervals = calendar._work_intervals_batch(
            pytz.utc.localize(release), pytz.utc.localize(end)
        )
        return [
            (
                begin.astimezone(pytz.utc).replace(tzinfo=None),
                stop.astimezone(pytz.utc).replace(tzinfo=None),
            )
            for begin, stop, _attendance in intervals[False]
        ]

    def _public_ids(self, vehicles):
        key = self.env["fleet.vehicle"]._gbfs_key()
        return {
            vehicle["id"]: gbfs_vehicle_id(
                key, vehicle["id"], vehicle["carshare_gbfs_rotation"] or 0
            )
            for vehicle in vehicles
        }

    @staticmethod
    def _in_rental(vehicle):
        return vehicle["carshare_state"] == "in_use"

    def _station_status(self, community, version, now):
        availability = self._availability(community, now)
        type_ids = sorted({self._vehicle_type_id(v) for v in availability["vehicles"]})
        per_station = {}
        for vehicle in availability["vehicles"]:
            station = per_station.setdefault(
                vehicle["carshare_station_id"],
                {"capacity": 0, "present": 0, "disabled": 0, "available": {}, "reported": None},
            )
            station["capacity"] += 1
            station["reported"] = max(
                station["reported"] or vehicle["write_date"], vehicle["write_date"]
            )
            if self._in_rental(vehicle):
                continue
            station["present"] += 1
            if vehicle["id"] in availability["disabled"]:
                station["disabled"] += 1
            elif vehicle["id"] not in availability["busy_now"] and self._free_now(
                vehicle, availability
            ):
                type_id = self._vehicle_type_id(vehicle)
                station["available"][type_id] = station["available"].get(type_id, 0) + 1
        statuses = []
        for station in availability["stations"]:
            counts = per_station.get(
                station.id,
                {"capacity": 0, "present": 0, "disabled": 0, "available": {}, "reported": None},
            )
            reported = max(station.write_date, counts["reported"] or station.write_date)
            is_open = station.id not in availability["closed"]
            statuses.append(
                {
                    "station_id": str(station.id),
                    "num_vehicles_available": sum(counts["available"].values()),
                    "vehicle_types_available": [
                        {"vehicle_type_id": type_id, "count": counts["available"].get(type_id, 0)}
                        for type_id in type_ids
                    ],
                    "num_vehicles_disabled": counts["disabled"],
                    "num_docks_available": counts["capacity"] - counts["present"],
                    "is_installed": True,
                    "is_renting": is_open,
                    "is_returning": is_open,
                    "last_reported": rfc3339(reported.replace(microsecond=0)),
                }
            )
        return {"stations": statuses}

    @staticmethod
    def _free_now(vehicle, availability):
        """Whether a booking can start now (at the minimum notice) on the vehicle."""
        slots = availability["slots"].get(vehicle["id"]) or []
        return (
            bool(slots)
            and slots[0][0] <= availability["start"]
            and (vehicle["carshare_station_id"] not in availability["closed"])
        )

    def _vehicle_status(self, community, version, now):
        availability = self._availability(community, now)
        public_ids = self._public_ids(availability["vehicles"])
        plans = self._pricing_plans(community, version)
        max_duration = timedelta(hours=community.max_duration)
        statuses = []
        for vehicle in availability["vehicles"]:
            if self._in_rental(vehicle):
                continue
            disabled = vehicle["id"] in availability["disabled"]
            reserved = vehicle["id"] in availability["busy_now"]
            status = {
                "vehicle_id": public_ids[vehicle["id"]],
                "station_id": str(vehicle["carshare_station_id"]),
                "vehicle_type_id": self._vehicle_type_id(vehicle),
                "is_reserved": reserved,
                "is_disabled": disabled,
                "last_reported": rfc3339(vehicle["write_date"].replace(microsecond=0)),
                "current_range_meters": float((vehicle["carshare_range_km"] or 0) * 1000),
            }
            if vehicle["fuel_type"] == "electric" and vehicle["carshare_battery_level"]:
                status["current_fuel_percent"] = round(vehicle["carshare_battery_level"] / 100, 2)
            if plans:
                status["pricing_plan_id"] = plans[0]["plan_id"]
            if not (disabled or reserved) and self._free_now(vehicle, availability):
                first_end = availability["slots"][vehicle["id"]][0][1]
                status["available_until"] = rfc3339(
                    min(first_end, availability["start"] + max_duration)
                )
            statuses.append(status)
        return {"vehicles": statuses}

    def _vehicle_availability(self, community, version, now):
        availability = self._availability(community, now)
        public_ids = self._public_ids(availability["vehicles"])
        plans = self._pricing_plans(community, version)
        # Vehicles free at the same times share their slots' objects.
        texts = {}

        def slot_text(slot):
            if slot not in texts:
                texts[slot] = {"from": rfc3339(slot[0]), "until": rfc3339(slot[1])}
            return texts[slot]

        vehicles = []
        for vehicle in availability["vehicles"]:
            entry = {
                "vehicle_id": public_ids[vehicle["id"]],
                "vehicle_type_id": self._vehicle_type_id(vehicle),
                "station_id": str(vehicle["carshare_station_id"]),
                "availabilities": [
                    slot_text(slot) for slot in availability["slots"][vehicle["id"]]
                ],
            }
            if plans:
                entry["pricing_plan_id"] = plans[0]["plan_id"]
            vehicles.append(entry)
        return {"vehicles": vehicles}

    def _system_alerts(self, community, version, now):
        vehicles = self._vehicles(community)
        end = now + timedelta(days=community.gbfs_availability_days)
        windows = (
            self.env["fleet.vehicle"]
            .sudo()
            .browse([v["id"] for v in vehicles])
            ._carshare_maintenance_overlaps(now, end)
        )
        alerts = []
        for window in windows.sorted(lambda w: (w.date_start, w.id)):
            vehicle = window.vehicle_id
            alerts.append(
                {
                    "alert_id": f"maintenance-{window.id}",
                    "type": "other",
                    "times": [
                        {"start": rfc3339(window.date_start), "end": rfc3339(window.date_end)}
                    ],
                    "station_ids": [str(vehicle.carshare_station_id.id)],
                    "summary": self._text(
                        community,
                        self.env._(
                            "%(model)s in maintenance at %(station)s",
                            model=vehicle.model_id.display_name,
                            station=vehicle.carshare_station_id.name,
                        ),
                    ),
                    "last_updated": rfc3339(window.write_date.replace(microsecond=0)),
                }
            )
        return {"alerts": self._station_closures(community, vehicles) + alerts}

    def _station_closures(self, community, vehicles):
        """A station closure for each station whose every vehicle is out of service now."""
        per_station = {}
        for vehicle in vehicles:
            per_station.setdefault(vehicle["carshare_station_id"], []).append(vehicle)
        alerts = []
        for station in self.env["carshare.station"].sudo().browse(sorted(per_station)):
            rows = per_station[station.id]
            if any(row["carshare_state"] not in ("maintenance", "out_of_service") for row in rows):
                continue
            since = max(row["write_date"] for row in rows).replace(microsecond=0)
            alerts.append(
                {
                    "alert_id": f"station-closed-{station.id}",
                    "type": "station_closure",
                    "times": [{"start": rfc3339(since)}],
                    "station_ids": [str(station.id)],
                    "summary": self._text(
                        community,
                        self.env._(
                            "No vehicle can be rented at %(station)s for now (maintenance).",
                            station=station.name,
                        ),
                    ),
                    "last_updated": rfc3339(since),
                }
            )
        return alerts
