from collections import defaultdict

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
        """Hook: the taxes of a carsharing line, as the law of ``company`` wants them for the
        sale of a service; here the taxes as set."""
        return self

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
        """Rounded on the totals, Odoo may give the rounding of the document's base to a line of
        another rate (7.61 booked for a 7.60 exempt insurance beside 6.66 for a 6.67 base at
        20 %), and rounds the base and the VAT of tax-included prices each on its own (28.65
        TTC: 23.88 + 4.78 = 28.66). On a carsharing document, each rate's lines are booked at its
        base, which for tax-included prices is their total less the rate's VAT."""
        result = super()._round_base_lines_tax_details(base_lines, company, tax_lines=tax_lines)
        if not base_lines or not all(self._carshare_base_line(line) for line in base_lines):
            return result
        groups = defaultdict(list)
        for line in base_lines:
            tax = line["tax_details"]["taxes_data"][0]["tax"]
            groups[(tax, line["currency_id"], line["is_refund"])].append(line)
        for (tax, currency, _refund), lines in groups.items():
            for suffix, rounding in (("_currency", currency), ("", company.currency_id)):
                tax_base = f"base_amount{suffix}"
                for line in lines:
                    details = line["tax_details"]
                    details[f"delta_total_excluded{suffix}"] = rounding.round(
                        details["taxes_data"][0][tax_base] - details[f"total_excluded{suffix}"]
                    )
                if not tax.price_include:
                    continue
                datas = [line["tax_details"]["taxes_data"][0] for line in lines]
                gap = rounding.round(
                    sum(line["tax_details"][f"total_included{suffix}"] for line in lines)
                    - sum(data[f"tax_amount{suffix}"] for data in datas)
                    - sum(data[tax_base] for data in datas)
                )
                if gap:
                    biggest = max(
                        lines, key=lambda line: abs(line["tax_details"][f"total_included{suffix}"])
                    )
                    biggest["tax_details"][f"delta_total_excluded{suffix}"] += gap
                    biggest["tax_details"]["taxes_data"][0][tax_base] += gap
        return result

    @staticmethod
    def _carshare_base_line(line):
        """A carsharing line with a single tax."""
        record = line.get("record")
        return (
            len(line["tax_details"]["taxes_data"]) == 1
            and record is not None
            and "carshare_component" in record._fields
            and bool(record.carshare_component)
        )
