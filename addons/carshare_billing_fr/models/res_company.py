from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# Income accounts of the priced components on the French chart (PCG 2025), by product: the
# service sold (706), its ancillary income (708), and what the driver owes for a breach of the
# conditions (7581 penalties, 758 indemnities for a damage). See docs/billing.md.
FR_INCOME_ACCOUNTS = {
    "product_carshare_time": "706000",
    "product_carshare_day": "706000",
    "product_carshare_km": "706000",
    "product_carshare_subscription": "706000",
    "product_carshare_booking_fee": "708800",
    "product_carshare_monthly_fee": "708800",
    "product_carshare_insurance": "708800",
    "product_carshare_late_fee": "758100",
    "product_carshare_cancellation_fee": "758100",
    "product_carshare_no_show_fee": "758100",
    "product_carshare_penalty": "758100",
    "product_carshare_excess": "758000",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    fr_chorus_invoice_format = fields.Selection(
        selection_add=[("pdf_factur-x", "Factur-X PDF"), ("xml_cii", "CII 16B XML")],
        ondelete={"pdf_factur-x": "set null", "xml_cii": "set null"},
    )
    carshare_vat_on_debits = fields.Boolean(
        string="VAT on Debits",
        help="Carsharing is a service: its VAT is due when the customer pays (encaissements). "
        "Tick only if the company opted for paying VAT on debits (art. 269 CGI): the VAT is "
        "then due at invoicing and the invoices say so.",
    )
    carshare_insurance_vat_exempt = fields.Boolean(
        string="Insurance Exempt of VAT",
        default=True,
        help="Insurance sold on behalf of an insurer (excess buy-back, yearly insurance) is "
        "exempt of VAT (art. 261 C CGI). Untick to tax it like the other components. French "
        "VAT only.",
    )
    carshare_insurance_tax_id = fields.Many2one(
        "account.tax",
        string="Insurance Exemption Tax",
        check_company=True,
        domain=[("type_tax_use", "=", "sale"), ("amount", "=", 0)],
        help="The 0% sales tax of the exempt insurance, whose legal notes print the exemption "
        "on the invoices.",
    )
    carshare_late_penalty_rate = fields.Float(
        string="Late Payment Penalty Rate (%)",
        default=12.0,
        help="Yearly rate of the penalties for late payment printed on business invoices (art. "
        "L441-10 of the Commercial Code: at least three times the legal interest rate; "
        "the ECB's rate plus 10 points by default).",
    )
    carshare_recovery_indemnity = fields.Monetary(
        string="Fixed Recovery Indemnity",
        default=40.0,
        currency_field="currency_id",
        help="Fixed indemnity for recovery costs owed by a business paying late (art. D441-5 "
        "of the Commercial Code), printed on business invoices.",
    )

    @api.constrains("carshare_late_penalty_rate", "carshare_recovery_indemnity")
    def _check_carshare_late_payment_terms(self):
        for company in self:
            if company.carshare_late_penalty_rate < 0 or company.carshare_recovery_indemnity < 0:
                raise ValidationError(
                    self.env._("The late payment penalty rate and indemnity cannot be negative.")
                )

    def _carshare_french_vat(self):
        """The company declares French VAT, whose rules carsharing follows (VAT on payment
        of services, insurance exempt)."""
        self.ensure_one()
        return self.account_fiscal_country_id.code in self._get_france_country_codes()

    def _carshare_component_taxes(self, component):
        """Insurance is exempt of French VAT unless the company taxes it."""
        if (
            component == "insurance"
            and self.carshare_insurance_vat_exempt
            and self._carshare_french_vat()
        ):
            return self._carshare_insurance_tax()
        return super()._carshare_component_taxes(component)

    def _carshare_insurance_tax(self):
        """The exempt tax of insurance lines."""
        self.ensure_one()
        if not self.carshare_insurance_tax_id:
            raise UserError(
                self.env._(
                    "Insurance is exempt of VAT in %(company)s: set its exemption tax in the "
                    "company's carsharing accounting, or tax insurance.",
                    company=self.name,
                )
            )
        return self.carshare_insurance_tax_id

    def _carshare_set_fr_defaults(self):
        """The French chart's defaults of carsharing, where the accountant has set nothing:
        income accounts per component, the insurance exemption tax,
        and VAT rounded on the totals per rate (EN 16931, BR-S-09)."""
        for company in self:
            for xmlid, code in FR_INCOME_ACCOUNTS.items():
                product = self.env.ref(f"carshare_billing.{xmlid}", raise_if_not_found=False)
                account = company._carshare_account(code)
                product = product and product.with_company(company)
                if product and account and not product.property_account_income_id:
                    product.property_account_income_id = account
            if not company.carshare_insurance_tax_id:
                company.carshare_insurance_tax_id = company._carshare_fr_insurance_tax()
            company.tax_calculation_rounding_method = "round_globally"

    def _carshare_fr_insurance_tax(self):
        exempt = self.env.ref(f"account.{self.id}_tva_sale_service_0", raise_if_not_found=False)
        if not exempt:
            return exempt
        return exempt.copy(
            {
                "name": self.env._("0% EXEMPT INS"),
                "description": self.env._("Insurance, exempt (art. 261 C CGI)"),
                "invoice_legal_notes": self.env._(
                    "<p>Insurance exempt of VAT, article 261 C of the French General Tax Code "
                    "(CGI).</p>"
                ),
            }
        )
