import json
import random
from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import BaseCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.carshare_gbfs_feed import free_slots
from .common import GbfsCase, GbfsCaseMixin


@tagged("post_install", "-at_install")
class TestGbfsDemo(GbfsCaseMixin, TransactionCase):
    def test_demo_community_published_and_valid(self):
        community = self.env.ref("carshare_fleet.community_autofree61", raise_if_not_found=False)
        if not community:
            self.skipTest("demo data not installed")
        self.assertTrue(community.gbfs_enabled)
        documents = self.all_files(community)
        stations = documents["3.0", "station_information"]["data"]["stations"]
        self.assertEqual(len(stations), len(community.station_ids))
        published = self.env["carshare.gbfs.feed"]._vehicles(community)
        availability = documents["3.1-RC3", "vehicle_availability"]["data"]["vehicles"]
        self.assertEqual(len(availability), len(published))
        manifest = documents["3.0", "manifest"]["data"]["datasets"]
        self.assertIn("autofree61", [dataset["system_id"] for dataset in manifest])


@tagged("post_install", "-at_install")
class TestGbfsFeeds(GbfsCase):
    def slots(self, vehicle):
        document = self.generate(self.community, "3.1-RC3", "vehicle_availability")
        return [
            (a["from"], a["until"]) for a in self.vehicle_of(document, vehicle)["availabilities"]
        ]

    def test_availability_by_hand(self):
        """Tuesday 09:00 in Paris, 3 days published: stations closed 0:00-5:00 Paris time, the
        agents' office hours (8:00-18:00, Monday to Friday) taken for residents beyond the
        24-hour release delay, bookings from 5 minutes ahead. All times below are UTC."""
        self.assertEqual(
            self.slots(self.car_2),
            [
                ("2030-01-15T08:05:00Z", "2030-01-15T23:00:00Z"),
                ("2030-01-16T04:00:00Z", "2030-01-16T08:00:00Z"),
                ("2030-01-16T17:00:00Z", "2030-01-16T23:00:00Z"),
                ("2030-01-17T04:00:00Z", "2030-01-17T07:00:00Z"),
                ("2030-01-17T17:00:00Z", "2030-01-17T23:00:00Z"),
                ("2030-01-18T04:00:00Z", "2030-01-18T07:00:00Z"),
            ],
        )

    def test_booking_and_buffer_taken(self):
        self.confirmed_booking(self.at(2), self.at(4))  # 10:00-12:00 UTC, then 30 min buffer
        self.assertEqual(
            self.slots(self.car)[:2],
            [
                ("2030-01-15T08:05:00Z", "2030-01-15T10:00:00Z"),
                ("2030-01-15T12:30:00Z", "2030-01-15T23:00:00Z"),
            ],
        )
        status = self.vehicle_of(self.generate(self.community, "3.0", "vehicle_status"), self.car)
        self.assertEqual(status["available_until"], "2030-01-15T10:00:00Z")
        self.assertFalse(status["is_reserved"])

    def test_vehicle_booked_all_week(self):
        self.confirmed_booking(self.at(0, 10), self.at(72))
        self.assertEqual(self.slots(self.car), [])
        documents = self.all_files(self.community)
        status = self.vehicle_of(documents["3.0", "vehicle_status"], self.car)
        self.assertNotIn("available_until", status)
        station = self.station_of(documents["3.0", "station_status"], self.station)
        self.assertEqual(station["num_vehicles_available"], 1)

    def test_reserved_now(self):
        self.confirmed_booking(self.at(0, 10), self.at(2))
        with self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE carshare_booking SET date_start = %s WHERE vehicle_id = %s",
                [self.at(-1), self.car.id],
            )
        self.env.invalidate_all()
        status = self.vehicle_of(self.generate(self.community, "3.0", "vehicle_status"), self.car)
        self.assertTrue(status["is_reserved"])
        self.assertNotIn("available_until", status)

    def test_closed_station(self):
        self.station.write({"closed_from": 8.0, "closed_to": 10.0})  # 07:00-09:00 UTC
        documents = self.all_files(self.community)
        station = self.station_of(documents["3.0", "station_status"], self.station)
        self.assertFalse(station["is_renting"])
        self.assertFalse(station["is_returning"])
        self.assertEqual(station["num_vehicles_available"], 0)
        self.assertEqual(self.slots(self.car)[0][0], "2030-01-15T09:00:00Z")
        status = self.vehicle_of(documents["3.0", "vehicle_status"], self.car)
        self.assertNotIn("available_until", status)
        info = self.station_of(documents["3.0", "station_information"], self.station)
        self.assertEqual(info["station_opening_hours"], "Mo-Su 00:00-08:00,10:00-24:00")

    def test_vehicle_in_maintenance(self):
        self.car_2.carshare_state = "maintenance"
        self.env["carshare.maintenance.window"].create(
            {
                "vehicle_id": self.car.id,
                "date_start": self.at(14),
                "date_end": self.at(20),
                "reason": "Tyres",
            }
        )
        documents = self.all_files(self.community)
        status = self.vehicle_of(documents["3.0", "vehicle_status"], self.car_2)
        self.assertTrue(status["is_disabled"])
        self.assertEqual(self.slots(self.car_2), [])
        station = self.station_of(documents["3.0", "station_status"], self.station)
        self.assertEqual(station["num_vehicles_disabled"], 1)
        self.assertEqual(station["num_vehicles_available"], 1)
        alerts = documents["3.0", "system_alerts"]["data"]["alerts"]
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts[0]["station_ids"], [str(self.station.id)])
        self.assertEqual(alerts[0]["times"][0]["start"], "2030-01-15T22:00:00Z")
        self.assertNotIn("Tyres", json.dumps(alerts))
        # the window (22:00 to 04:00 UTC) ends the first slot at 22:00 instead of 23:00
        self.assertEqual(self.slots(self.car)[0], ("2030-01-15T08:05:00Z", "2030-01-15T22:00:00Z"))

    def test_station_closed_when_every_vehicle_is_out_of_service(self):
        self.car.carshare_state = "maintenance"
        documents = self.all_files(self.community)
        self.assertFalse(
            [
                a
                for a in documents["3.0", "system_alerts"]["data"]["alerts"]
                if a["type"] == "station_closure"
            ]
        )
        self.car_2.carshare_state = "out_of_service"
        alerts = self.all_files(self.community)["3.0", "system_alerts"]["data"]["alerts"]
        closures = [a for a in alerts if a["type"] == "station_closure"]
        self.assertEqual(len(closures), 1)
        self.assertEqual(closures[0]["station_ids"], [str(self.station.id)])

    def test_in_rental_and_rotating_ids(self):
        booking = self.confirmed_booking(self.at(0, 10), self.at(2))
        before = self.car._gbfs_vehicle_id()
        booking.action_start()
        documents = self.all_files(self.community)
        self.assertIsNone(self.vehicle_of(documents["3.0", "vehicle_status"], self.car))
        station = self.station_of(documents["3.0", "station_status"], self.station)
        self.assertEqual(station["num_docks_available"], 1)
        booking.action_return()
        after = self.car._gbfs_vehicle_id()
        self.assertNotEqual(before, after)
        documents = self.all_files(self.community)
        ids = {
            feed: {v["vehicle_id"] for v in documents[version, feed]["data"]["vehicles"]}
            for version, feed in (
                ("3.1-RC3", "vehicle_status"),
                ("3.1-RC3", "vehicle_availability"),
            )
        }
        self.assertEqual(ids["vehicle_status"], ids["vehicle_availability"])
        self.assertIn(after, ids["vehicle_status"])
        self.assertNotIn(before, ids["vehicle_status"] | ids["vehicle_availability"])

    def test_no_personal_data_nothing_of_another_community(self):
        other = self.env["carshare.community"].create(
            {
                "name": "Other",
                "gbfs_enabled": True,
                "gbfs_system_id": "other",
                "gbfs_contact_email": "other@example.org",
            }
        )
        station = self.create_station("Secret station", "T-SEC")
        station.write({"community_ids": [Command.set(other.ids)], "latitude": 47.0})
        hidden = self.create_vehicle(
            "CS-999-ZZ", station, carshare_community_ids=[Command.set(other.ids)]
        )
        booking = self.confirmed_booking(self.at(2), self.at(4), partner_id=self.resident.id)
        text = json.dumps(list(self.all_files(self.community).values()), ensure_ascii=False)
        for secret in (
            self.resident.name,
            self.agent.name,
            booking.name,
            booking.access_code,
            self.car.license_plate,
            "Secret station",
            hidden._gbfs_vehicle_id(),
        ):
            self.assertNotIn(secret, text)
        manifest = self.generate(self.community.browse(), "3.0", "manifest")
        systems = {dataset["system_id"] for dataset in manifest["data"]["datasets"]}
        self.assertLessEqual({"test-autofree", "other"}, systems)

    def test_discovery_versions(self):
        documents = self.all_files(self.community)
        feeds_30 = {f["name"] for f in documents["3.0", "gbfs"]["data"]["feeds"]}
        feeds_31 = {f["name"] for f in documents["3.1-RC3", "gbfs"]["data"]["feeds"]}
        self.assertNotIn("vehicle_availability", feeds_30)
        self.assertEqual(feeds_31 - feeds_30, {"vehicle_availability"})
        versions_30 = documents["3.0", "gbfs_versions"]["data"]["versions"]
        self.assertEqual([v["version"] for v in versions_30], ["3.0"])
        versions_31 = documents["3.1-RC3", "gbfs_versions"]["data"]["versions"]
        self.assertEqual([v["version"] for v in versions_31], ["3.0", "3.1-RC3"])
        info = documents["3.0", "system_information"]["data"]
        self.assertEqual(info["license_id"], "etalab-2.0")
        self.assertEqual(info["timezone"], "Europe/Paris")
        self.assertEqual(info["opening_hours"], "Mo-Su 05:00-24:00")

    def test_cache_keeps_last_updated_while_unchanged(self):
        builder = self.env["carshare.gbfs.feed"]
        documents = self.env["carshare.gbfs.document"].sudo()
        key, first = builder._document(self.community, "3.0", "station_information")
        self.assertEqual(builder._document(self.community, "3.0", "station_information")[1], first)
        self.env.cr.execute(
            "UPDATE carshare_gbfs_document SET checked_at = checked_at - interval '2 hours'"
        )
        again = builder._document(self.community, "3.0", "station_information")[1]
        self.assertEqual(again[:2], first[:2], "same content: same ETag and last_updated")
        self.station.name = "Alençon - Gare"
        self.env.cr.execute(
            "UPDATE carshare_gbfs_document SET checked_at = checked_at - interval '2 hours'"
        )
        changed = builder._document(self.community, "3.0", "station_information")[1]
        self.assertNotEqual(changed[0], first[0])
        self.assertIn("Alençon - Gare", documents._body(key).decode())

    def test_settings_validated(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.community.gbfs_system_id = "Not An Id!"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.community.gbfs_contact_email = "nobody"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.community.gbfs_availability_days = 60
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["carshare.community"].create(
                {
                    "name": "Copy",
                    "gbfs_enabled": True,
                    "gbfs_system_id": "test-autofree",
                    "gbfs_contact_email": "x@example.org",
                }
            )

    def test_only_managers_manage_the_feeds(self):
        desk = new_test_user(self.env, "gbfs_desk", groups="carshare_fleet.group_carshare_user")
        with self.assertRaises(AccessError):
            self.community.with_user(desk).action_gbfs_refresh()
        with self.assertRaises(AccessError):
            self.community.with_user(desk).action_gbfs_preview()
        with self.assertRaises(AccessError):
            self.env["carshare.gbfs.document"].with_user(desk).search([])
        action = self.community.with_user(self.manager).action_gbfs_preview()
        preview = self.env["carshare.gbfs.preview"].browse(action["res_id"])
        self.assertIn("vehicle_availability", preview.summary)
        self.assertIn("num_vehicles_available", preview.station_status)

    def test_horizon_bounds_the_availability(self):
        self.community.horizon_days = 1
        last = self.slots(self.car_2)[-1]
        self.assertLessEqual(last[1], "2030-01-16T08:00:00Z")
        self.assertEqual(self.slots(self.car_2)[0][0], "2030-01-15T08:05:00Z")


@tagged("post_install", "-at_install")
class TestFreeSlots(BaseCase):
    """free_slots against a minute-by-minute count, on generated busy periods."""

    def test_against_minute_grid(self):
        rng = random.Random(17)
        start = datetime(2030, 1, 15, 8, 0)
        for _case in range(300):
            busy = []
            for _ in range(rng.randrange(0, 8)):
                begin = start + timedelta(minutes=rng.randrange(-120, 600))
                busy.append((begin, begin + timedelta(minutes=rng.randrange(1, 240))))
            min_length = timedelta(minutes=rng.choice((1, 30, 90)))
            end = start + timedelta(minutes=480)
            taken = {
                minute
                for begin, stop in busy
                for minute in range(480)
                if begin <= start + timedelta(minutes=minute) < stop
            }
            expected, run = [], []
            for minute in range(481):
                if minute < 480 and minute not in taken:
                    run.append(minute)
                    continue
                if run and timedelta(minutes=len(run)) >= min_length:
                    expected.append(
                        (start + timedelta(minutes=run[0]), start + timedelta(minutes=run[-1] + 1))
                    )
                run = []
            self.assertEqual(free_slots(sorted(busy), start, end, min_length), expected, busy)
