from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    carshare_purchase_order_ref = fields.Char(
        string="Carsharing Purchase Order",
        help="Put on the invoices of the professional bookings billed to this employer (for "
        "Chorus Pro, the legal commitment number).",
    )
