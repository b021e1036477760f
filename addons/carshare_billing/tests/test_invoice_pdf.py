import shutil
import subprocess
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import FRIDAY_9H, CarshareBillingCase


def pdf_text(pdf):
    """The text of a PDF as pdftotext reads it, on one line."""
    result = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return " ".join(result.stdout.decode().split())


class PrintedPdfMixin:
    """Real PDFs printed by wkhtmltopdf (whatever its build), read back with pdftotext."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for tool in ("wkhtmltopdf", "pdftotext"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is missing: scripts/lib.sh installs it")
        # wkhtmltopdf fetches the report's stylesheets from the server, which cannot serve this
        # test's uncommitted transaction (the request would wait for it, and the test for the
        # PDF); and Debian's build draws the stylesheets' web fonts as outlines, without text.
        # A closed local port: the invoice prints unstyled, its words readable by pdftotext.
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    def _pdf_text(self, records, report="account.account_invoices"):
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return pdf_text(pdf)


class InvoicePdfCase(PrintedPdfMixin, CarshareBillingCase):
    """Invoices as the accountant reads them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.write(
            {
                "vat": "FR44732829320",
                "street": "1 place du Général Bonet",
                "zip": "61000",
                "city": "Alençon",
            }
        )
        cls.version.monthly_fee = 0.0

    def _employer_invoice(self):
        """Bob drives 2 h for Acme: 3.00 + 1.00 = 4.00 TTC, 3.33 HT; 1.50 an hour is 1.25 HT."""
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        return self._month_end().filtered(lambda m: m.partner_id == self.employer)


@tagged("post_install", "-at_install")
class TestInvoicePdf(InvoicePdfCase):
    def test_business_invoice_legal_mentions(self):
        invoice = self._employer_invoice()
        invoice.invoice_date_due = invoice.invoice_date + timedelta(days=30)
        text = self._pdf_text(invoice)
        for mention in (
            "VAT number FR44732829320",
            "1 place du Général Bonet",
            "Payment due on 03/02/2025",
            "Unit Price (excl. tax)",
            "1.25",
        ):
            self.assertIn(mention, text)

    def test_residents_invoice(self):
        """A resident reads prices taxes included (1.50)."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        text = self._pdf_text(invoice)
        self.assertIn("Payment due on", text)
        self.assertIn("1.50", text)
        self.assertNotIn("excl. tax", text)


@tagged("post_install", "-at_install")
class TestInvoiceSent(CarshareBillingCase, HttpCase):
    """A resident's invoice reaches her as a real invoice: Odoo's sending queue prints it,
    keeps the PDF as the invoice's document and mails it; the portal no longer shows a pro
    forma."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice.email = "alice.martin@example.fr"
        cls.alice_user = cls.env["res.users"].create(
            {
                "login": "alice.invoice",
                "password": "alice.invoice",
                "partner_id": cls.alice.id,
                "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
            }
        )
        cls.version.monthly_fee = 0.0
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    def _invoice_page(self, invoice):
        self.authenticate("alice.invoice", "alice.invoice")
        response = self.url_open(f"/my/invoices/{invoice.id}?report_type=html")
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_posted_invoice_is_printed_and_mailed(self):
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertIn("PROFORMA", self._invoice_page(invoice))
        self.assertEqual(invoice.sending_data["sending_methods"], ["email"])

        self.env["account.move"].with_context(force_report_rendering=True)._cron_account_move_send()

        document = invoice.invoice_pdf_report_id
        self.assertTrue(document.raw.startswith(b"%PDF"))
        text = pdf_text(document.raw)
        # 2 h at 1.50 an hour and the 1.00 booking fee, taxes included.
        self.assertIn(invoice.name, text)
        self.assertIn("4.00", text)
        self.assertFalse(invoice.sending_data)
        sent = invoice.message_ids.filtered(lambda m: self.alice in m.partner_ids)
        self.assertIn(document.name, sent.attachment_ids.mapped("name"))
        self.assertNotIn("PROFORMA", self._invoice_page(invoice))

    def test_invoice_without_address_is_printed_only(self):
        self.alice.email = False
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self.assertEqual(invoice.sending_data["sending_methods"], ["manual"])
        self.env["account.move"].with_context(force_report_rendering=True)._cron_account_move_send()
        self.assertTrue(invoice.invoice_pdf_report_id)
