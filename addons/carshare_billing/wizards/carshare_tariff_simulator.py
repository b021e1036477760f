from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


def _next_hour(self):
    return fields.Datetime.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class CarshareTariffSimulator(models.TransientModel):
    _name = "carshare.tariff.simulator"
    _description = "Carsharing Price Simulator"

    tariff_id = fields.Many2one("carshare.tariff", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="tariff_id.currency_id")
    date_start = fields.Datetime(string="Start", required=True, default=_next_hour)
    date_end = fields.Datetime(
        string="End", required=True, default=lambda self: _next_hour(self) + timedelta(hours=3)
    )
    distance_km = fields.Float(string="Distance (km)")
    late_minutes = fields.Integer(
        string="Late (minutes)", help="Minutes after the booked end, beyond the grace period."
    )
    plan_id = fields.Many2one(
        "carshare.subscription.plan",
        string="Subscription",
        domain="[('tariff_id', '=', tariff_id)]",
    )
    monthly_fee = fields.Boolean(
        string="First Trip of the Month", help="Add the monthly management fee."
    )
    breakdown = fields.Html(compute="_compute_price", sanitize=False)
    amount_untaxed = fields.Monetary(string="Untaxed Amount", compute="_compute_price")
    amount_total = fields.Monetary(string="Total", compute="_compute_price")

    @api.depends(
        "tariff_id",
        "date_start",
        "date_end",
        "distance_km",
        "late_minutes",
        "plan_id",
        "monthly_fee",
    )
    def _compute_price(self):
        for simulator in self:
            rows, error = [], ""
            try:
                rows = simulator._priced_rows()
            except UserError as exc:
                error = exc.args[0]
            simulator.amount_untaxed = sum(row["untaxed"] for row in rows)
            simulator.amount_total = sum(row["total"] for row in rows)
            simulator.breakdown = self.env["ir.qweb"]._render(
                "carshare_billing.tariff_simulator_breakdown",
                {"rows": rows, "error": error, "currency": simulator.currency_id},
            )

    def _price_lines(self):
        """The lines a booking with these figures would have once returned."""
        if not (self.tariff_id and self.date_start and self.date_end):
            return []
        if self.date_end <= self.date_start:
            raise UserError(self.env._("The trip must end after it starts."))
        version = self.tariff_id._version_at(self.date_start)
        end = self.date_end + timedelta(minutes=self.late_minutes)
        lines = version._price_trip(self.date_start, end, self.distance_km, self.plan_id)
        lines += version._booking_fee_lines()
        if self.monthly_fee:
            lines += version._monthly_fee_lines(self.tariff_id._local_date(self.date_start))
        return lines + version._late_fee_lines(self.late_minutes)

    def _priced_rows(self):
        lines = self._price_lines()
        return self.tariff_id._priced_rows(lines) if lines else []
