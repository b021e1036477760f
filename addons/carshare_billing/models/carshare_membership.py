from odoo import fields, models


class CarshareMembership(models.Model):
    _inherit = "carshare.membership"

    purchase_order_ref = fields.Char(
        string="Employer's Purchase Order",
        tracking=True,
        help="Reference the employer wants on the invoices of this member's professional "
        "bookings (for Chorus Pro, the legal commitment number); overrides the one on the "
        "employer.",
    )
