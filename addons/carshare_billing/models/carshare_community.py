from odoo import api, fields, models

from odoo.addons.carshare_fleet.access import check_view


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
    billing_user_id = fields.Many2one(
        "res.users",
        string="Accountant",
        domain=[("share", "=", False)],
        tracking=True,
        help="Told (an activity) when the month-end billing cannot issue an invoice; without "
        "one, the company's first carsharing accountant.",
    )
    late_return_billing = fields.Selection(
        [
            ("time_and_fee", "Extra Time and Late Fee"),
            ("fee", "Late Fee Only"),
            ("time", "Extra Time Only"),
        ],
        default="time_and_fee",
        required=True,
        tracking=True,
        help="A return after the grace period is billed as the time the car was really used "
        "(extra time) and as a late fee per started late period, which compensates the next "
        "driver's wait and the charging time lost (the default); or as one of them only.",
    )
    monthly_fee_on_employers = fields.Boolean(
        string="Employers Pay the Monthly Fee",
        tracking=True,
        help="The monthly management fee is the residents': owed once a month by a driver "
        "with a personal booking that month. Ticked, employers owe it too, once a month for "
        "their professional bookings, whichever agent drives.",
    )

    def _carshare_accountant(self, company):
        """Who follows up the community's billing failures."""
        if self.billing_user_id:
            return self.billing_user_id
        accountants = self.env.ref("carshare_billing.group_carshare_accountant").sudo().users
        accountants = accountants.filtered(lambda u: not u.share and company in u.company_ids)
        return accountants.sorted("id")[:1] or self.env.user

    @api.depends("tariff_ids")
    def _compute_tariff_id(self):
        for community in self:
            community.tariff_id = community.tariff_ids[:1]

    def action_open_tariff(self):
        check_view(self)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tariff"),
            "res_model": "carshare.tariff",
            "view_mode": "form",
            "res_id": self.tariff_id.id,
            "context": {"default_community_id": self.id, "default_name": self.name},
        }
