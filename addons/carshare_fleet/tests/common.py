from contextlib import contextmanager

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase


class CarshareCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env.user)
        cls.community = cls.env["carshare.community"].create({"name": "Test Community"})
        cls.station = cls.env["carshare.station"].create(
            {
                "name": "Test Station",
                "code": "TST",
                "tz": "Europe/Paris",
                "community_ids": [fields.Command.link(cls.community.id)],
            }
        )
        brand = cls.env["fleet.vehicle.model.brand"].create({"name": "Test Brand"})
        cls.model = cls.env["fleet.vehicle.model"].create(
            {"name": "Test EV", "brand_id": brand.id, "seats": 5, "default_fuel_type": "electric"}
        )
        cls.vehicle = cls.create_vehicle(license_plate="TS-001-AA")
        cls.driver = cls.create_driver("Valid Driver")

    @classmethod
    def create_vehicle(cls, **vals):
        return cls.env["fleet.vehicle"].create(
            {
                "model_id": cls.model.id,
                "seats": 5,
                "carshare_shared": True,
                "carshare_station_id": cls.station.id,
                **vals,
            }
        )

    @classmethod
    def create_driver(cls, name, community=None, **vals):
        community = community or cls.community
        today = fields.Date.context_today(cls.env.user)
        driver = cls.env["res.partner"].create(
            {
                "name": name,
                "carshare_birthdate": today - relativedelta(years=30),
                "driving_licence_number": "123456789012",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": today - relativedelta(years=10),
                "driving_licence_expiry_date": today + relativedelta(years=5),
                **vals,
            }
        )
        cls.env["carshare.membership"].create(
            {"community_id": community.id, "partner_id": driver.id, "state": "active"}
        )
        return driver

    @contextmanager
    def assertRefused(self, exception, text):
        """``assertRaises`` (which rolls back to a savepoint) that also checks the message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))
