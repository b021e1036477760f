from contextlib import contextmanager
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Paris is UTC+1 in January: 2025-01-10 is a Friday.
FRIDAY_9H = datetime(2025, 1, 10, 8, 0)


class CarshareBillingCase(AccountTestInvoicingCommon):
    """A French company (chart ``fr``, VAT 20 %) sharing cars with the AutoFree 61 prices:
    1.50 per hour, 1.00 booking fee, 4.00 monthly fee, 10.00 per started late half hour, all
    taxes included."""

    country_code = "FR"

    @classmethod
    def get_default_groups(cls):
        return (
            super().get_default_groups()
            | cls.env.ref("carshare_fleet.group_carshare_manager")
            | cls.env.ref("carshare_billing.group_carshare_accountant")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The billing's jobs run at once, as queue_job documents for tests that are not about
        # the jobs themselves (test_jobs.py runs them through the queue).
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.company = cls.company_data["company"]
        cls.community = cls.env["carshare.community"].create(
            {"name": "AutoFree Test", "company_id": cls.company.id, "kind": "public_body"}
        )
        cls.station = cls.env["carshare.station"].create(
            {
                "name": "Alençon",
                "company_id": cls.company.id,
                "tz": "Europe/Paris",
                "closed_from": 0.0,
                "closed_to": 0.0,
                "community_ids": [Command.link(cls.community.id)],
            }
        )
        brand = cls.env["fleet.vehicle.model.brand"].create({"name": "Renault"})
        model = cls.env["fleet.vehicle.model"].create({"name": "Zoé", "brand_id": brand.id})
        cls.vehicle, cls.vehicle_2 = cls.env["fleet.vehicle"].create(
            [
                {
                    "model_id": model.id,
                    "license_plate": plate,
                    "company_id": cls.company.id,
                    "carshare_shared": True,
                    "carshare_station_id": cls.station.id,
                    "carshare_community_ids": [Command.link(cls.community.id)],
                    "carshare_range_km": 300,
                }
                for plate in ("GA-001-AF", "GA-002-AF")
            ]
        )
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
                "date_from": "2024-01-01",
                "hour_price": 1.5,
                "booking_fee": 1.0,
                "monthly_fee": 4.0,
                "late_fee": 10.0,
                "late_fee_minutes": 30,
            }
        )
        cls.employer = cls.env["res.partner"].create(
            {
                "name": "Acme Logistique",
                "is_company": True,
                "country_id": cls.env.ref("base.fr").id,
                "carshare_purchase_order_ref": "PO-ACME-2025",
            }
        )
        cls.alice = cls._driver("Alice Martin", "resident")
        cls.bob = cls._driver("Bob Durand", "employee", cls.employer)
        cls.carol = cls._driver("Carol Petit", "employee", cls.employer)

    @classmethod
    def _driver(cls, name, audience, employer=None):
        driver = cls.env["res.partner"].create(
            {
                "name": name,
                "lang": "en_US",
                "country_id": cls.env.ref("base.fr").id,
                "carshare_birthdate": "1980-05-01",
                "driving_licence_number": f"LIC-{name}",
                "carshare_verified_on": "2020-01-01 00:00:00",
                "driving_licence_category": "B",
                "driving_licence_issue_date": "2000-01-01",
                "driving_licence_expiry_date": "2040-01-01",
            }
        )
        cls.env["carshare.membership"].create(
            {
                "community_id": cls.community.id,
                "partner_id": driver.id,
                "audience": audience,
                "employer_id": employer and employer.id,
                "state": "active",
            }
        )
        return driver

    def _book(self, start, hours, driver=None, usage="perso", vehicle=None):
        """A booking confirmed two days before ``start`` (naive UTC)."""
        with freeze_time(start - timedelta(days=2)):
            booking = self.env["carshare.booking"].create(
                {
                    "community_id": self.community.id,
                    "vehicle_id": (vehicle or self.vehicle).id,
                    "partner_id": (driver or self.alice).id,
                    "usage": usage,
                    "date_start": start,
                    "date_end": start + timedelta(hours=hours),
                }
            )
            booking.action_confirm()
        return booking

    def _drive(self, booking, km=0.0, late_minutes=0):
        """Pick up at the start, return ``late_minutes`` after the end, ``km`` further."""
        with freeze_time(booking.date_start):
            booking.action_start()
        with freeze_time(booking.date_end + timedelta(minutes=late_minutes)):
            booking.action_return(odometer=booking.odometer_start + km)
        return booking

    def _trip(self, start, hours, km=0.0, late_minutes=0, **booking_values):
        return self._drive(self._book(start, hours, **booking_values), km, late_minutes)

    def _lines(self, booking, component):
        return booking.sale_order_id.order_line.filtered(
            lambda line: line.carshare_component == component
        )

    @contextmanager
    def _committing_jobs(self):
        """The card jobs commit once the provider answered, so queue_job runs them in a cursor
        of their own: here the test's transaction, as for HttpCase's requests, which sees
        what the test wrote once flushed (a job runs after the commit of what queued it)."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            yield
        finally:
            self.registry.leave_test_mode()
            self.env.invalidate_all()

    def _month_end(self, date_from="2025-01-01", date_to="2025-01-31"):
        """The month-end billing's invoices, its jobs run at once."""
        jobs = self.env["sale.order"]._carshare_enqueue_period(
            datetime.strptime(date_from, "%Y-%m-%d").date(),
            datetime.strptime(date_to, "%Y-%m-%d").date(),
        )
        return self.env["account.move"].union(*(job.result for job in jobs))
