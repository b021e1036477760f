from odoo import Command
from odoo.tests import tagged

from odoo.addons.carshare_gbfs.tests.common import GbfsCase


@tagged("post_install", "-at_install")
class TestGbfsPricing(GbfsCase):
    """The tariff as GBFS can say it, figures computed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tariff = cls.env["carshare.tariff"].create(
            {
                "name": "AutoFree Test",
                "community_id": cls.community.id,
                "tz": "Europe/Paris",
                "price_include_tax": True,
            }
        )
        cls.version = cls.env["carshare.tariff.version"].create(
            {
                "tariff_id": cls.tariff.id,
                "date_from": "2029-01-01",
                "hour_price": 1.5,
                "day_price": 20.0,
                "km_price": 0.2,
                "km_included": 50,
                "booking_fee": 1.0,
                "monthly_fee": 4.0,
                "slot_ids": [
                    Command.create(
                        {
                            "name": "Evening",
                            "monday": True,
                            "friday": True,
                            "hour_from": 18.0,
                            "hour_to": 24.0,
                            "hour_price": 1.0,
                        }
                    )
                ],
            }
        )
        cls.subscription = cls.env["carshare.subscription.plan"].create(
            {
                "name": "Frequent",
                "tariff_id": cls.tariff.id,
                "monthly_fee": 10.0,
                "time_discount": 20.0,
            }
        )

    def plans(self, version="3.0"):
        return {
            plan["plan_id"]: plan
            for plan in self.generate(self.community, version, "system_pricing_plans")["data"][
                "plans"
            ]
        }

    def test_standard_and_subscription_plans(self):
        plans = self.plans()
        standard = plans["standard"]
        self.assertEqual(standard["price"], 1.0)
        self.assertFalse(standard["is_taxable"], "the prices include taxes")
        self.assertEqual(standard["per_min_pricing"], [{"start": 0, "rate": 0.025, "interval": 1}])
        self.assertEqual(standard["per_km_pricing"], [{"start": 50, "rate": 0.2, "interval": 1}])
        self.assertNotIn("fare_capping", standard)
        description = standard["description"][0]["text"]
        for fragment in (
            "Evening",
            "Monday, Friday, 18:00-24:00",
            "1.00",
            "20.00",
            "4.00",
            "Frequent: 10.00",
        ):
            self.assertIn(fragment, description)
        # 20 % off time: 1.50 x 0.8 / 60 = 0.02 per minute; distance at full price
        frequent = plans[f"subscription-{self.subscription.id}"]
        self.assertEqual(frequent["per_min_pricing"][0]["rate"], 0.02)
        self.assertEqual(frequent["per_km_pricing"][0]["rate"], 0.2)
        # 3.1 caps each 24 hours at the day price: 20.00, 16.00 with the subscription
        plans_31 = self.plans("3.1-RC3")
        self.assertEqual(plans_31["standard"]["fare_capping"], {"duration": 1440, "price": 20.0})
        self.assertEqual(plans_31[frequent["plan_id"]]["fare_capping"]["price"], 16.0)

    def test_every_file_valid_and_linked_to_the_plans(self):
        documents = self.all_files(self.community)
        feeds = {feed["name"] for feed in documents["3.0", "gbfs"]["data"]["feeds"]}
        self.assertIn("system_pricing_plans", feeds)
        plan_ids = {p["plan_id"] for p in documents["3.0", "system_pricing_plans"]["data"]["plans"]}
        for vehicle_type in documents["3.0", "vehicle_types"]["data"]["vehicle_types"]:
            self.assertEqual(vehicle_type["default_pricing_plan_id"], "standard")
            self.assertEqual(set(vehicle_type["pricing_plan_ids"]), plan_ids)
        for vehicle in documents["3.0", "vehicle_status"]["data"]["vehicles"]:
            self.assertEqual(vehicle["pricing_plan_id"], "standard")

    def test_community_without_tariff(self):
        self.tariff.unlink()
        documents = self.all_files(self.community)
        feeds = {feed["name"] for feed in documents["3.0", "gbfs"]["data"]["feeds"]}
        self.assertNotIn("system_pricing_plans", feeds)
        for vehicle_type in documents["3.0", "vehicle_types"]["data"]["vehicle_types"]:
            self.assertNotIn("pricing_plan_ids", vehicle_type)

    def test_taxes_added_when_prices_exclude_them(self):
        self.tariff.price_include_tax = False
        self.assertTrue(self.plans()["standard"]["is_taxable"])
