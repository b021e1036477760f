from odoo import fields, models


class CarshareDepositCapture(models.Model):
    _name = "carshare.deposit.capture"
    _description = "Carsharing Deposit Capture"
    _order = "id"

    deposit_id = fields.Many2one(
        "carshare.deposit", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="deposit_id.company_id", store=True)
    currency_id = fields.Many2one(related="deposit_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True)
    reason = fields.Selection(
        [("damage", "Damage"), ("fine", "Fine"), ("invoice", "Unpaid Invoice")],
        required=True,
        readonly=True,
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice Paid", required=True, readonly=True, index=True
    )
    transaction_id = fields.Many2one("payment.transaction", readonly=True)
    payment_id = fields.Many2one(related="transaction_id.payment_id", string="Payment")
    user_id = fields.Many2one(
        "res.users", string="Captured By", readonly=True, default=lambda self: self.env.user
    )
    date = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A capture takes a positive amount."),
    ]
