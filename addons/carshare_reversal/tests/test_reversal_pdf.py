from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H
from odoo.addons.carshare_billing.tests.test_invoice_pdf import PrintedPdfMixin

from .common import CarshareReversalCase


@tagged("post_install", "-at_install")
class TestReversalPdf(PrintedPdfMixin, CarshareReversalCase):
    """The self-billed bills of a reversal as printed by wkhtmltopdf, read with pdftotext."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.version.monthly_fee = 0.0

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
