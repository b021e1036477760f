from odoo import models


class CarshareInspection(models.Model):
    _inherit = "carshare.inspection"

    def _action_validate(self):
        result = super()._action_validate()
        self.env["carshare.deposit"]._carshare_check_early_release(
            self.filtered(lambda i: i.kind == "checkin" and i.state == "done").booking_id
        )
        return result
