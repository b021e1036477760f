from odoo import fields, models
from odoo.tools import SQL

from ..models.sale_order_line import COMPONENTS


class AccountInvoiceReport(models.Model):
    _inherit = "account.invoice.report"

    _depends = {
        "account.move": ["carshare_community_id"],
        "account.move.line": ["carshare_vehicle_id", "carshare_station_id", "carshare_component"],
    }

    carshare_community_id = fields.Many2one(
        "carshare.community", string="Carsharing Community", readonly=True
    )
    carshare_vehicle_id = fields.Many2one("fleet.vehicle", string="Shared Vehicle", readonly=True)
    carshare_station_id = fields.Many2one("carshare.station", string="Station", readonly=True)
    carshare_component = fields.Selection(COMPONENTS, string="Carsharing Component", readonly=True)

    def _select(self):
        return SQL(
            "%s, move.carshare_community_id, line.carshare_vehicle_id, line.carshare_station_id, "
            "line.carshare_component",
            super()._select(),
        )
