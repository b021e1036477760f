from odoo import api, fields, models

from odoo.addons.carshare_fleet.access import ACCOUNTANT_GROUP, MANAGER_GROUP, check_groups


class CarshareDepositCaptureWizard(models.TransientModel):
    _name = "carshare.deposit.capture.wizard"
    _description = "Capture Part of a Deposit"

    deposit_id = fields.Many2one("carshare.deposit", required=True, readonly=True)
    partner_id = fields.Many2one(related="deposit_id.partner_id")
    company_id = fields.Many2one(related="deposit_id.company_id")
    currency_id = fields.Many2one(related="deposit_id.currency_id")
    held_amount = fields.Monetary(related="deposit_id.amount", string="Held")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice to Pay",
        required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('company_id', '=', company_id), ('commercial_partner_id', '=', partner_id), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    amount_residual = fields.Monetary(related="move_id.amount_residual", string="Still Due")
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="Taken from the hold; Stripe releases the rest of it.",
    )
    reason = fields.Selection(
        selection=lambda self: self.env["carshare.deposit.capture"]._fields["reason"].selection,
        required=True,
        default="damage",
    )

    @api.depends("move_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = min(wizard.held_amount, wizard.move_id.amount_residual)

    def action_capture(self):
        check_groups(self.env, MANAGER_GROUP, ACCOUNTANT_GROUP)
        self.ensure_one()
        self.deposit_id.action_capture(self.amount, self.move_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
