from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase
from .screens import AccountantScreensCase


@tagged("post_install", "-at_install")
class TestAccountantScreens(CarshareBillingCase, AccountantScreensCase):
    """The accountant walks through January's invoices without an error in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls._screens_accountant()

    def test_accountant_screens(self):
        alice_trip = self._trip(FRIDAY_9H, 2, km=30)
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro", vehicle=self.vehicle_2)
        self._trip(FRIDAY_9H.replace(day=14), 1, driver=self.carol, usage="pro")
        self._month_end()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=alice_trip.carshare_invoice_ids.ids
        ).create({"payment_date": "2025-01-20"})._create_payments()
        self.start_tour(
            "/odoo/action-carshare_billing.action_carshare_invoices",
            "carshare_screens_accountant",
            login=self.accountant.login,
        )
        self.assertScreenshots(
            "accountant-invoices",
            "accountant-invoice",
        )
