from odoo import fields, models


class CarshareMembershipSuspendWizard(models.TransientModel):
    _name = "carshare.membership.suspend.wizard"
    _description = "Suspend Memberships"

    membership_ids = fields.Many2many("carshare.membership", string="Memberships", required=True)
    reason = fields.Text(required=True, help="Told to the driver.")

    def action_confirm(self):
        self.membership_ids._suspend(self.reason)
