import json
import os

import jsonschema

from odoo import Command

from odoo.addons.carshare_booking.tests.common import BookingCase

SCHEMAS = os.path.join(os.path.dirname(__file__), "gbfs_schemas")
_VALIDATORS = {}


def validator(version, feed):
    key = (version, feed)
    if key not in _VALIDATORS:
        with open(os.path.join(SCHEMAS, f"v{version}", f"{feed}.json")) as schema_file:
            schema = json.load(schema_file)
        _VALIDATORS[key] = jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
        )
    return _VALIDATORS[key]


class GbfsCaseMixin:
    def assertValidGbfs(self, version, feed, document):
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator(version, feed).iter_errors(document)
        ]
        self.assertFalse(errors, f"{version} {feed}.json is not valid:\n" + "\n".join(errors))

    def generate(self, community, version, feed):
        body = self.env["carshare.gbfs.feed"]._generate(community, version, feed)[0]
        return json.loads(body)

    def all_files(self, community):
        """{(version, feed): document} of every file the community publishes, validated."""
        builder = self.env["carshare.gbfs.feed"]
        documents = {}
        for version in ("3.0", "3.1-RC3"):
            for feed in (*builder._feeds(community, version), "manifest"):
                target = community if feed != "manifest" else community.browse()
                document = self.generate(target, version, feed)
                self.assertValidGbfs(version, feed, document)
                documents[version, feed] = document
        return documents


class GbfsCase(GbfsCaseMixin, BookingCase):
    """The booking tests' community (Tuesday 15 January 2030, 09:00 in Paris), published."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.station.write({"latitude": 48.4306, "longitude": 0.0931, "keybox_ref": "MKEY-T"})
        cls.other_station.write({"latitude": 48.7443, "longitude": -0.0203})
        cls.community.write(
            {
                "gbfs_enabled": True,
                "gbfs_system_id": "test-autofree",
                "gbfs_contact_email": "opendata@example.org",
                "vehicle_ids": [Command.link(cls.car.id), Command.link(cls.car_2.id)],
            }
        )

    def vehicle_of(self, document, vehicle):
        public_id = vehicle._gbfs_vehicle_id()
        found = [v for v in document["data"]["vehicles"] if v["vehicle_id"] == public_id]
        return found[0] if found else None

    def station_of(self, document, station):
        return next(s for s in document["data"]["stations"] if s["station_id"] == str(station.id))
