from odoo import fields, models

from .sale_order_line import COMPONENTS


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    carshare_booking_id = fields.Many2one(
        "carshare.booking",
        string="Booking",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )
    carshare_component = fields.Selection(COMPONENTS, string="Carsharing Component", readonly=True)
    carshare_vehicle_id = fields.Many2one(
        related="carshare_booking_id.vehicle_id", store=True, string="Shared Vehicle"
    )
    carshare_station_id = fields.Many2one(
        related="carshare_booking_id.station_id", store=True, string="Station"
    )
    carshare_reversal_statement_id = fields.Many2one(
        "carshare.reversal.statement",
        string="Reversed By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The confirmed revenue reversal statement that reversed this revenue.",
    )
