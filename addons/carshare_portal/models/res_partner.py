from odoo import models

from odoo.addons.carshare_fleet.access import action_write

# Changing any of these makes the manager check the driver's documents again.
VERIFIED_FIELDS = {
    "carshare_birthdate",
    "driving_licence_number",
    "driving_licence_category",
    "driving_licence_issue_date",
    "driving_licence_expiry_date",
    "driving_licence_scan",
    "proof_of_address",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _carshare_portal_update_driver(self, values):
        """Record what the driver entered in the portal."""
        self.ensure_one()
        if not VERIFIED_FIELDS.isdisjoint(values):
            values = {**values, "carshare_verified_by_id": False, "carshare_verified_on": False}
        action_write(self, values)
