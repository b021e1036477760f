from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.carshare_fleet.tests.screens import ScreensCase


class AccountantScreensCase(ScreensCase):
    """Screens walked by the company's carsharing accountant."""

    @classmethod
    def _screens_accountant(cls):
        """Claude Comptable, the company's accountant, in the screens' language."""
        return new_test_user(
            cls.env,
            "cs_screens_accountant",
            groups="carshare_billing.group_carshare_accountant",
            name="Claude Comptable",
            lang=cls.screens_lang(),
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
