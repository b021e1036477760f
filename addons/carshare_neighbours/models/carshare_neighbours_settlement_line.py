from odoo import api, fields, models


class CarshareNeighboursSettlementLine(models.Model):
    _name = "carshare.neighbours.settlement.line"
    _description = "Neighbours' Settlement Line"
    _order = "settlement_id, is_owner desc, id"

    settlement_id = fields.Many2one(
        "carshare.neighbours.settlement", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="settlement_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Member", required=True, readonly=True)
    is_owner = fields.Boolean(string="Owner", compute="_compute_is_owner", store=True)
    km = fields.Float(string="km", readonly=True)
    amount_due = fields.Monetary(
        string="Share of Costs", readonly=True, help="What the member's use of the car costs."
    )
    amount_paid = fields.Monetary(
        string="Expenses Paid", readonly=True, help="Shared expenses the member paid."
    )
    advance_paid = fields.Monetary(
        string="Advances Paid", readonly=True, help="Advances the member paid to the owners."
    )
    owner_amount = fields.Monetary(
        string="Owners' Part",
        readonly=True,
        help="For the owners, in proportion to their shares: what the drivers owe them net of "
        "their expenses, less the advances they already received.",
    )
    balance = fields.Monetary(
        compute="_compute_balance",
        store=True,
        help="Positive: the member receives this amount; negative: the member owes it.",
    )

    @api.depends("settlement_id.community_id.neighbours_owner_ids", "partner_id")
    def _compute_is_owner(self):
        for line in self:
            owners = line.settlement_id.community_id.neighbours_owner_ids.partner_id
            line.is_owner = line.partner_id in owners

    @api.depends("amount_due", "amount_paid", "advance_paid", "owner_amount")
    def _compute_balance(self):
        for line in self:
            line.balance = line.currency_id.round(
                line.amount_paid + line.advance_paid + line.owner_amount - line.amount_due
            )

    def _prepare_move_line_values(self):
        """A member who owes is debited on their receivable, one who receives is credited on
        their payable; their payments reconcile them."""
        partner = self.partner_id.with_company(self.company_id)
        if self.balance < 0:
            account = partner.property_account_receivable_id
        else:
            account = partner.property_account_payable_id
        return {
            "partner_id": self.partner_id.id,
            "account_id": account.id,
            "name": self.settlement_id.name,
            "balance": -self.balance,
        }
