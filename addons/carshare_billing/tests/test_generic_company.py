from datetime import timedelta

from odoo.tests import tagged

from .common import FRIDAY_9H, CarshareBillingCase


@tagged("post_install", "-at_install")
class TestGenericCompany(CarshareBillingCase):
    """A company outside France, on Odoo's generic chart (15 % sales tax): the billing works
    without French law, its prices taxed as the company's default tax says."""

    country_code = "BE"
    chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.version.insurance_day_price = 7.6
        cls.tax = cls.company.account_sale_tax_id

    def _product_lines(self, invoice):
        return invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def test_personal_trip_taxed_at_the_default_rate(self):
        """Alice drives 2 h with the buy-back: 3.00 + 1.00 booking fee + 4.00 monthly fee +
        7.60 insurance = 15.60, 15 % included, insurance too: 15.60 / 1.15 = 13.57 untaxed,
        2.03 tax."""
        self.assertEqual(self.tax.amount, 15)
        self.assertNotEqual(self.company.account_fiscal_country_id.code, "FR")
        booking = self._book(FRIDAY_9H, 2)
        booking.carshare_insurance_buyback = True
        invoice = self._drive(booking).carshare_invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, self.alice)
        self.assertAlmostEqual(invoice.amount_total, 15.6)
        self.assertAlmostEqual(invoice.amount_untaxed, 13.57)
        self.assertAlmostEqual(invoice.amount_tax, 2.03)
        lines = self._product_lines(invoice)
        self.assertEqual(
            sorted(lines.mapped("carshare_component")),
            ["booking_fee", "insurance", "monthly_fee", "time"],
        )
        self.assertAlmostEqual(sum(lines.mapped("price_total")), 15.6)
        for line in lines:
            self.assertEqual(len(line.tax_ids), 1)
            self.assertEqual(line.tax_ids.amount, 15)
            self.assertTrue(line.tax_ids.price_include)
            self.assertEqual(line.tax_ids.tax_exigibility, "on_invoice")
            self.assertEqual(line.tax_ids.tax_group_id, self.tax.tax_group_id)

    def test_employer_invoiced_at_month_end(self):
        """Bob drives 3 h for Acme, no monthly fee: 4.50 + 1.00 = 5.50, 15 % included: 4.78
        untaxed, 0.72 tax, due in 30 days."""
        self.version.monthly_fee = 0.0
        self._trip(FRIDAY_9H, 3, driver=self.bob, usage="pro")
        invoice = self._month_end().filtered(lambda m: m.partner_id == self.employer)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.ref, "PO-ACME-2025")
        self.assertAlmostEqual(invoice.amount_total, 5.5)
        self.assertAlmostEqual(invoice.amount_untaxed, 4.78)
        self.assertAlmostEqual(invoice.amount_tax, 0.72)
        self.assertEqual(invoice.invoice_date_due, invoice.invoice_date + timedelta(days=30))
