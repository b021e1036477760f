from odoo import models


class AccountTax(models.Model):
    _inherit = "account.tax"

    def _carshare_tax_included(self):
        """The same taxes, with prices that include them: the company's twin taxes, created or
        unarchived when missing (the French chart ships them archived)."""
        result = self.browse()
        for tax in self:
            if tax.price_include or tax.amount_type != "percent":
                result |= tax
                continue
            twin = (
                self.sudo()
                .with_context(active_test=False)
                .search(
                    [
                        ("company_id", "=", tax.company_id.id),
                        ("type_tax_use", "=", tax.type_tax_use),
                        ("amount_type", "=", "percent"),
                        ("amount", "=", tax.amount),
                        ("tax_group_id", "=", tax.tax_group_id.id),
                        ("price_include_override", "=", "tax_included"),
                    ],
                    order="active desc, id",
                    limit=1,
                )
            )
            if not twin:
                twin = tax.sudo().copy(
                    {
                        "name": self.env._("%(tax)s incl.", tax=tax.name),
                        "price_include_override": "tax_included",
                    }
                )
            if not twin.active:
                twin.active = True
            result |= twin
        return result.with_env(self.env)
