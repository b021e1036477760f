from odoo import Command

from odoo.addons.carshare_billing.tests.common import CarshareBillingCase


class CarshareReversalCase(CarshareBillingCase):
    def _january_statement(self, owner_name="Collectivité"):
        """A monthly reversal rule giving 100 % to a new owner, and its draft statement of
        January 2025."""
        owner = self.env["res.partner"].create({"name": owner_name, "is_company": True})
        rule = self.env["carshare.reversal.rule"].create(
            {
                "community_id": self.community.id,
                "period": "monthly",
                "date_start": "2025-01-01",
                "share_ids": [Command.create({"partner_id": owner.id, "percent": 100})],
            }
        )
        return self.env["carshare.reversal.statement"].create(
            {"rule_id": rule.id, "date_from": "2025-01-01", "date_to": "2025-01-31"}
        )
