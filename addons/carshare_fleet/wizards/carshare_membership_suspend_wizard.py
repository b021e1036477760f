from odoo import fields, models

from ..access import MANAGER_GROUP, check_groups


class CarshareMembershipSuspendWizard(models.TransientModel):
    _name = "carshare.membership.suspend.wizard"
    _description = "Suspend Memberships"

    membership_ids = fields.Many2many("carshare.membership", string="Memberships", required=True)
    reason = fields.Text(required=True, help="Told to the driver.")

    def action_confirm(self):
        """Managers: suspend the memberships."""
        check_groups(self.env, MANAGER_GROUP)
        self.membership_ids._suspend(self.reason)
