from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.carshare_billing.tests import test_invoice_pdf
from odoo.addons.carshare_billing.tests.common import FRIDAY_9H


@tagged("post_install", "-at_install")
class TestInvoicePdfFr(test_invoice_pdf.InvoicePdfCase):
    """The French mentions of the printed invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.write({"siren": "732829320", "nic": "00074"})

    def test_business_invoice_legal_mentions(self):
        invoice = self._employer_invoice()
        invoice.invoice_date_due = invoice.invoice_date + timedelta(days=30)
        text = self._pdf_text(invoice)
        for mention in (
            "SIRET 73282932000074",
            "VAT number FR44732829320",
            "1 place du Général Bonet",
            "Payment due on 03/02/2025",
            "penalties at 12 % a year",
            "fixed indemnity of 40.00 €",
            "recovery costs",
            "No discount for early payment",
            "Service Delivery",
            "Unit Price (excl. tax)",
            "1.25",
        ):
            self.assertIn(mention, text)
        for wrong in ("Goods Delivery", "Option to pay tax on debits"):
            self.assertNotIn(wrong, text)

    def test_residents_invoice(self):
        """A resident owes no recovery indemnity and reads prices taxes included (1.50)."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        text = self._pdf_text(invoice)
        self.assertIn("SIRET 73282932000074", text)
        self.assertIn("Payment due on", text)
        self.assertIn("1.50", text)
        self.assertNotIn("recovery costs", text)
        self.assertNotIn("excl. tax", text)
        self.assertNotIn("Option to pay tax on debits", text)

    def test_vat_on_debits_is_printed(self):
        self.company.carshare_vat_on_debits = True
        text = self._pdf_text(self._employer_invoice())
        self.assertIn("Option to pay tax on debits", text)
        self.assertIn("Service Delivery", text)
