from dateutil.relativedelta import relativedelta

from odoo import models

# Value added tax point date code (BT-8, UNTDID 2005): VAT due at the invoice's date or when paid.
VAT_POINT_INVOICE = "5"
VAT_POINT_PAYMENT = "72"


class AccountEdiXmlCii(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _get_tax_unece_codes(self, customer, supplier, tax):
        codes = super()._get_tax_unece_codes(customer, supplier, tax)
        if not tax:
            return codes
        if tax == tax.company_id.carshare_insurance_tax_id:
            codes["tax_exemption_reason"] = self.env._(
                "Insurance exempt of VAT, article 261 C of the French General Tax Code (CGI)"
            )
        codes["carshare_vat_point_code"] = (
            VAT_POINT_PAYMENT if tax.tax_exigibility == "on_payment" else VAT_POINT_INVOICE
        )
        return codes

    def _export_invoice_vals(self, invoice):
        """Carsharing invoices: the months of their service as billing period, each line with
        its booking's dates and reference."""
        vals = super()._export_invoice_vals(invoice)
        if not invoice.carshare_community_id:
            return vals
        self._carshare_round_lines_per_rate(invoice, vals)
        days = []
        for line_vals in vals["invoice_line_vals_list"]:
            line = line_vals["line"]
            period = line._carshare_service_period()
            if period:
                line_vals["billing_start"], line_vals["billing_end"] = period
                line_vals["carshare_booking_ref"] = line.carshare_booking_id.name
                days += period
        days = days or [invoice.invoice_date]
        vals["billing_start"] = min(days) + relativedelta(day=1)
        vals["billing_end"] = max(days) + relativedelta(day=31)
        return vals

    def _carshare_round_lines_per_rate(self, invoice, vals):
        """With the VAT rounded on the totals (tax-included prices), the taxable amount of a
        rate is rounded once, while each line's net amount is rounded on its own: give the
        difference to the biggest line of the rate, so that the lines of each rate add up to
        its taxable amount (EN 16931: BR-CO-10, BR-S-08)."""
        details = vals["tax_details"]
        lines_per_key = {}
        for line_vals in vals["invoice_line_vals_list"]:
            keys = list(details["tax_details_per_record"][line_vals["line"]]["tax_details"])
            if len(keys) == 1:
                lines_per_key.setdefault(frozenset(keys[0].items()), []).append(line_vals)
        for key, tax_vals in details["tax_details"].items():
            lines = lines_per_key.get(frozenset(key.items()))
            if not lines:
                continue
            delta = invoice.currency_id.round(
                tax_vals["base_amount_currency"] - sum(lv["line_total_amount"] for lv in lines)
            )
            if delta:
                biggest = max(lines, key=lambda lv: abs(lv["line_total_amount"]))
                biggest["line_total_amount"] += delta
