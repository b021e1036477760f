from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount


class CarshareNeighboursAdvance(models.Model):
    _name = "carshare.neighbours.advance"
    _description = "Neighbours' Advance to the Owners"
    _order = "date desc, id desc"
    _check_company_auto = True

    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain=[("kind", "=", "neighbours")],
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Paid By", required=True, index=True, ondelete="restrict"
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(
        required=True,
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        help="By default the driver's quarterly advance.",
    )

    @api.depends("community_id", "partner_id")
    def _compute_amount(self):
        for advance in self:
            membership = advance.community_id.membership_ids.filtered(
                lambda m, partner=advance.partner_id: m.partner_id == partner
            )
            advance.amount = membership[:1].neighbours_quarterly_advance

    @api.constrains("amount", "community_id", "partner_id")
    def _check_amount(self):
        for advance in self:
            if advance.currency_id.compare_amounts(advance.amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "An advance must be an amount above zero (%(amount)s entered).",
                        amount=format_amount(self.env, advance.amount, advance.currency_id),
                    )
                )
            if not advance.community_id._neighbours_is_member(advance.partner_id):
                raise ValidationError(
                    self.env._(
                        "%(payer)s is not a member of %(community)s.",
                        payer=advance.partner_id.name,
                        community=advance.community_id.name,
                    )
                )
