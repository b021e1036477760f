from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date


class CarshareNeighboursExpense(models.Model):
    _name = "carshare.neighbours.expense"
    _description = "Neighbours' Car Expense"
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
    vehicle_id = fields.Many2one(
        "fleet.vehicle",
        index=True,
        ondelete="restrict",
        check_company=True,
        compute="_compute_vehicle_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('carshare_community_ids', 'in', community_id)]",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Paid By", required=True, index=True, ondelete="restrict"
    )
    cost_type_id = fields.Many2one(
        "carshare.neighbours.cost.type", string="Type", required=True, ondelete="restrict"
    )
    driver_own = fields.Boolean(related="cost_type_id.driver_own")
    name = fields.Char(string="Description")
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(required=True)
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "carshare_neighbours_expense_attachment_rel",
        "expense_id",
        "attachment_id",
        string="Receipts",
    )

    @api.depends("community_id")
    def _compute_vehicle_id(self):
        for expense in self:
            vehicles = expense.community_id.vehicle_ids
            if expense.vehicle_id not in vehicles:
                expense.vehicle_id = vehicles[:1]

    @api.depends("cost_type_id", "amount", "date")
    def _compute_display_name(self):
        for expense in self:
            expense.display_name = self.env._(
                "%(type)s, %(date)s: %(amount)s",
                type=expense.cost_type_id.name or "",
                date=format_date(self.env, expense.date),
                amount=format_amount(self.env, expense.amount, expense.currency_id),
            )

    @api.constrains("amount")
    def _check_amount(self):
        for expense in self:
            if expense.currency_id.compare_amounts(expense.amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "An expense must be an amount above zero: %(amount)s was entered for "
                        "%(type)s paid by %(payer)s on %(date)s.",
                        amount=format_amount(self.env, expense.amount, expense.currency_id),
                        type=expense.cost_type_id.name,
                        payer=expense.partner_id.name,
                        date=format_date(self.env, expense.date),
                    )
                )

    @api.constrains("community_id", "partner_id")
    def _check_payer(self):
        for expense in self:
            if not expense.community_id._neighbours_is_member(expense.partner_id):
                raise ValidationError(
                    self.env._(
                        "%(payer)s is not a member of %(community)s: only its owners and "
                        "drivers share the costs of the car.",
                        payer=expense.partner_id.name,
                        community=expense.community_id.name,
                    )
                )
