from odoo import models


class AccountTax(models.Model):
    _inherit = "account.tax"

    def _carshare_service_taxes(self, company):
        """The taxes of a carsharing line: sales of services, their VAT due on payment
        (encaissements) unless the company opted for debits. A goods tax, or a tax due at the
        other moment, is replaced by the company's twin for services. French VAT (art. 269
        CGI): elsewhere the taxes stay as set."""
        if not company._carshare_french_vat():
            return super()._carshare_service_taxes(company)
        exigibility = "on_invoice" if company.carshare_vat_on_debits else "on_payment"
        result = self.browse()
        for tax in self:
            if (
                tax.amount_type != "percent"
                or tax.type_tax_use != "sale"
                or (tax.tax_scope == "service" and tax.tax_exigibility == exigibility)
            ):
                result |= tax
            else:
                rate = f"{tax.amount:g}"
                if exigibility == "on_invoice":
                    label = self.env._("%(rate)s%% S (debits)", rate=rate)
                else:
                    label = self.env._("%(rate)s%% S", rate=rate)
                values = {"tax_scope": "service", "tax_exigibility": exigibility}
                if exigibility == "on_invoice":
                    values["cash_basis_transition_account_id"] = False
                result |= tax._carshare_twin(values, label)
        return result
