from odoo import models
from odoo.exceptions import UserError

SCOPE_FIELDS = ("tax_scope", "tax_exigibility", "price_include_override")


class AccountTax(models.Model):
    _inherit = "account.tax"

    def _carshare_twin(self, values, name):
        """The company's tax like this one but for ``values``: found among the taxes (archived
        ones included, the French chart ships its tax-included taxes archived), else copied;
        unarchived either way."""
        self.ensure_one()
        Tax = self.sudo().with_context(active_test=False)
        wanted = {
            "tax_scope": self.tax_scope,
            "tax_exigibility": self.tax_exigibility,
            "price_include_override": self.price_include_override or False,
            **values,
        }
        domain = [
            ("company_id", "=", self.company_id.id),
            ("type_tax_use", "=", self.type_tax_use),
            ("amount_type", "=", "percent"),
            ("amount", "=", self.amount),
            ("tax_group_id", "=", self.tax_group_id.id),
            *[(field, "=", value) for field, value in wanted.items() if field in SCOPE_FIELDS],
        ]
        twin = Tax.search(domain, order="active desc, sequence, id", limit=1)
        if not twin:
            if (
                wanted["tax_exigibility"] == "on_payment"
                and not self.cash_basis_transition_account_id
            ):
                raise UserError(
                    self.env._(
                        "No tax like %(tax)s is due on payment in %(company)s: create one with "
                        "its cash basis transition account, or opt for VAT on debits.",
                        tax=self.name,
                        company=self.company_id.name,
                    )
                )
            twin = self.sudo().copy({**wanted, "name": name})
        if not twin.active:
            twin.active = True
        return twin.with_env(self.env)

    def _carshare_service_taxes(self, company):
        """The taxes of a carsharing line: sales of services, their VAT due on payment
        (encaissements) unless the company opted for debits. A goods tax, or a tax due at the
        other moment, is replaced by the company's twin for services. French VAT (art. 269
        CGI): elsewhere the taxes stay as set."""
        if not company._carshare_french_vat():
            return self
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

    def _carshare_tax_included(self):
        """The same taxes, with prices that include them: the twin due at the same moment, for
        the same scope."""
        result = self.browse()
        for tax in self:
            if tax.price_include or tax.amount_type != "percent" or not tax.amount:
                result |= tax
            else:
                result |= tax._carshare_twin(
                    {"price_include_override": "tax_included"},
                    self.env._("%(tax)s incl.", tax=tax.name),
                )
        return result

    def _round_base_lines_tax_details(self, base_lines, company, tax_lines=None):
        """Rounded on the totals, the rounding of the document's base may land on a line of
        another rate than the one it comes from (e.g. 7.61 booked for a 7.60 exempt insurance
        beside 6.66 booked for a 6.67 base at 20 %). Carsharing lines are booked at their tax's
        base instead, as long as the document's total stays the same."""
        result = super()._round_base_lines_tax_details(base_lines, company, tax_lines=tax_lines)
        lines = [
            line
            for line in base_lines
            if len(line["tax_details"]["taxes_data"]) == 1
            and line.get("record") is not None
            and "carshare_component" in line["record"]._fields
            and line["record"].carshare_component
        ]
        for suffix, currency_of in (
            ("_currency", lambda line: line["currency_id"]),
            ("", lambda line: company.currency_id),
        ):
            deltas = [
                currency_of(line).round(
                    line["tax_details"]["taxes_data"][0][f"base_amount{suffix}"]
                    - line["tax_details"][f"total_excluded{suffix}"]
                )
                for line in lines
            ]
            before = sum(line["tax_details"][f"delta_total_excluded{suffix}"] for line in lines)
            if lines and currency_of(lines[0]).is_zero(sum(deltas) - before):
                for line, delta in zip(lines, deltas, strict=True):
                    line["tax_details"][f"delta_total_excluded{suffix}"] = delta
        return result
