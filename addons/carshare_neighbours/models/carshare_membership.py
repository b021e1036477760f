from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class CarshareMembership(models.Model):
    _inherit = "carshare.membership"

    currency_id = fields.Many2one(related="community_id.currency_id")
    community_kind = fields.Selection(related="community_id.kind")
    neighbours_forecast_km = fields.Integer(
        string="Forecast km per Year",
        help="For a newcomer to a neighbours' car; otherwise the advances follow the km "
        "logged over the last twelve months.",
    )
    neighbours_km_last_year = fields.Float(
        string="km over the Last 12 Months", compute="_compute_neighbours_advance"
    )
    neighbours_quarterly_advance = fields.Monetary(
        string="Quarterly Advance",
        compute="_compute_neighbours_advance",
        help="(Estimated cost per km - fuel per km) x forecast km per quarter.",
    )

    @api.depends(
        "neighbours_forecast_km",
        "community_id.neighbours_advance_rate",
        "community_id.kind",
    )
    def _compute_neighbours_advance(self):
        since = fields.Date.context_today(self) - relativedelta(years=1)
        groups = self.env["carshare.neighbours.trip"]._read_group(
            [
                ("community_id", "in", self.community_id.ids),
                ("partner_id", "in", self.partner_id.ids),
                ("date", ">", since),
            ],
            ["community_id", "partner_id"],
            ["distance_km:sum"],
        )
        km = {(community, partner): total for community, partner, total in groups}
        for membership in self:
            last_year = km.get((membership.community_id, membership.partner_id), 0.0)
            membership.neighbours_km_last_year = last_year
            membership.neighbours_quarterly_advance = membership.community_id._neighbours_advance(
                membership.neighbours_forecast_km or last_year
            )
