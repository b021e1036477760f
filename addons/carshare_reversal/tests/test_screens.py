from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_billing.tests.screens import AccountantScreensCase

from .common import CarshareReversalCase


@tagged("post_install", "-at_install")
class TestReversalScreens(CarshareReversalCase, AccountantScreensCase):
    """The accountant opens January's reversal statement without an error in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls._screens_accountant()

    def test_accountant_reversal_screen(self):
        alice_trip = self._trip(FRIDAY_9H, 2, km=30)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=alice_trip.carshare_invoice_ids.ids
        ).create({"payment_date": "2025-01-20"})._create_payments()
        self._january_statement("Conseil départemental de l'Orne").action_compute()
        self.start_tour(
            "/odoo/action-carshare_billing.action_carshare_invoices",
            "carshare_screens_accountant_reversal",
            login=self.accountant.login,
        )
        self.assertScreenshots("accountant-reversal")
