from odoo import api, fields, models

COMPONENTS = [
    ("time", "Time"),
    ("day", "Day Rate"),
    ("distance", "Distance"),
    ("booking_fee", "Booking Fee"),
    ("monthly_fee", "Monthly Management Fee"),
    ("late_fee", "Late Return Fee"),
    ("cancellation_fee", "Cancellation Fee"),
    ("no_show_fee", "No-Show Fee"),
    ("subscription", "Subscription"),
    ("insurance", "Insurance Buy-Back"),
    ("excess", "Insurance Excess"),
]


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    carshare_booking_id = fields.Many2one(
        related="order_id.carshare_booking_id", store=True, index="btree_not_null"
    )
    carshare_component = fields.Selection(
        COMPONENTS, string="Carsharing Component", readonly=True, copy=False
    )
    carshare_line_key = fields.Char(
        string="Priced Component Key",
        readonly=True,
        copy=False,
        help="Which priced component of the booking the line holds; lines without one were "
        "added by hand and are kept when the booking is priced again.",
    )

    @api.depends("order_id.carshare_credited")
    def _compute_qty_to_invoice(self):
        """A credited order owes nothing: its refunded quantities are not to invoice again."""
        result = super()._compute_qty_to_invoice()
        self.filtered("order_id.carshare_credited").qty_to_invoice = 0.0
        return result

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.carshare_booking_id or self.carshare_component:
            values["carshare_booking_id"] = self.carshare_booking_id.id
            values["carshare_component"] = self.carshare_component
            fee_account = self.company_id.carshare_booking_fee_account_id
            if self.carshare_component == "booking_fee" and fee_account:
                values["account_id"] = fee_account.id
        return values
