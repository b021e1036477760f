from odoo import api, fields, models


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    tariff_ids = fields.One2many("carshare.tariff", "community_id", string="Tariffs")
    tariff_id = fields.Many2one(
        "carshare.tariff",
        compute="_compute_tariff_id",
        help="Prices of the community's bookings; without one, bookings are not billed.",
    )
    billing_requires_validation = fields.Boolean(
        string="Validate Billing",
        tracking=True,
        help="A manager validates each ended booking (and may add a penalty) before it is "
        "invoiced; otherwise the invoice follows the return automatically.",
    )

    @api.depends("tariff_ids")
    def _compute_tariff_id(self):
        for community in self:
            community.tariff_id = community.tariff_ids[:1]

    def action_open_tariff(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tariff"),
            "res_model": "carshare.tariff",
            "view_mode": "form",
            "res_id": self.tariff_id.id,
            "context": {"default_community_id": self.id, "default_name": self.name},
        }
