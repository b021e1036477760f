from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareReversalShare(models.Model):
    _name = "carshare.reversal.share"
    _description = "Carsharing Revenue Reversal Share"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "carshare.reversal.rule", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True, precompute=True)
    sequence = fields.Integer(default=10)
    partner_id = fields.Many2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        check_company=True,
        help="e.g. the collectivity owning the vehicles, the insurer, the platform.",
    )
    percent = fields.Float(string="Share (%)", required=True)
    tax_ids = fields.Many2many(
        "account.tax",
        string="Taxes",
        compute="_compute_tax_ids",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('type_tax_use', '=', 'purchase')]",
        help="VAT of the beneficiary's bill, on top of its share: by default the company's "
        "purchase tax when the beneficiary has a VAT number, none otherwise. Clear it for a "
        "share exempt from VAT (e.g. the insurer's, art. 261 C CGI).",
    )
    account_id = fields.Many2one(
        "account.account",
        string="Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Account of the beneficiary's bill, e.g. 616100 for the insurer. Empty: the "
        "rule's.",
    )

    @api.depends("partner_id", "company_id")
    def _compute_tax_ids(self):
        for share in self:
            company = share.company_id or self.env.company
            vat_registered = share.partner_id.commercial_partner_id.vat
            share.tax_ids = company.account_purchase_tax_id if vat_registered else False

    @api.constrains("percent")
    def _check_percent(self):
        for share in self:
            if not 0 < share.percent <= 100:
                raise ValidationError(
                    self.env._(
                        "The share of %(partner)s must be above 0 and at most 100 %%.",
                        partner=share.partner_id.name,
                    )
                )
