import shutil

from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_billing.tests.test_invoice_pdf import pdf_text

from .common import CarshareReversalCase


@tagged("post_install", "-at_install")
class TestReversalPdf(CarshareReversalCase):
    """The self-billed bills of a reversal as printed by wkhtmltopdf, read with pdftotext."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for tool in ("wkhtmltopdf", "pdftotext"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is missing: scripts/lib.sh installs it")
        cls.version.monthly_fee = 0.0
        # As carshare_billing's TestInvoicePdf: a closed local port for the stylesheets.
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

    def test_self_billed_reversal_says_autofacturation(self):
        """The platform issues the owner's bill of a revenue reversal: the statement and the
        bill say so; the driver's invoice does not."""
        invoice = self._trip(FRIDAY_9H, 2).carshare_invoice_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2025-01-20"})._create_payments()
        statement = self._january_statement("Commune")
        statement.action_compute()
        statement.action_confirm()
        bill = statement.line_ids.move_id
        self.assertIn("Autofacturation", self._pdf_text(bill))
        self.assertIn(
            "Autofacturation",
            self._pdf_text(statement, "carshare_reversal.action_report_reversal_statement"),
        )
        self.assertNotIn("Autofacturation", self._pdf_text(invoice))
