from odoo import fields, models


class CarshareInspection(models.Model):
    _inherit = "carshare.inspection"

    booking_id = fields.Many2one(
        "carshare.booking",
        index=True,
        check_company=True,
        ondelete="set null",
        tracking=True,
        domain="[('vehicle_id', '=', vehicle_id)]",
    )
