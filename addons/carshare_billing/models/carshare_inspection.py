from odoo import models


class CarshareInspection(models.Model):
    _inherit = "carshare.inspection"

    def _action_validate(self):
        result = super()._action_validate()
        self.filtered(lambda i: i.kind == "checkin" and i.state == "done").damage_ids.filtered(
            "responsible"
        )._carshare_invoice_excess()
        return result
