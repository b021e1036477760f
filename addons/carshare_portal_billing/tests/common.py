from dateutil.relativedelta import relativedelta

from odoo import fields

from odoo.addons.carshare_portal.tests.common import CarsharePortalCase


class BillingCaseMixin:
    """The community of the portal's cases with a tariff, so that its bookings are billed."""

    @classmethod
    def _setup_community(cls):
        tariff = cls.env["carshare.tariff"].create(
            {"name": "Portal Test", "community_id": cls.community.id, "tz": "Europe/Paris"}
        )
        cls.env["carshare.tariff.version"].create(
            {
                "tariff_id": tariff.id,
                "date_from": fields.Date.today() - relativedelta(years=1),
                "hour_price": 1.5,
                "booking_fee": 1.0,
                "cancellation_fee": 5.0,
                "cancellation_deadline_hours": 72.0,
            }
        )


class CarsharePortalBillingCase(BillingCaseMixin, CarsharePortalCase):
    pass
