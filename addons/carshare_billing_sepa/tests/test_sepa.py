import base64
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H

from .common import ACME_IBAN, COMPANY_IBAN, CarshareSepaCase


@tagged("post_install", "-at_install")
class TestSepaDirectDebit(CarshareSepaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._sepa_setup()

    def test_monthly_payment_order_makes_a_valid_pain_008(self):
        """Acme's January (Bob 2 h: 3.00 + 1.00, Carol 1 h: 1.50 + 1.00) is debited 6.50 under
        its B2B mandate: the month-end invoice joins the draft payment order, whose pain.008 file
        (checked against its XSD by the OCA addon) names the mandate and both IBANs."""
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        self._trip(FRIDAY_9H, 1, driver=self.carol, usage="pro", vehicle=self.vehicle_2)
        invoice = self._month_end()
        self.assertEqual(invoice.payment_mode_id, self.payment_mode)
        self.assertEqual(invoice.mandate_id, self.mandate)
        self.assertAlmostEqual(invoice.amount_total, 6.5)
        payment_line = invoice.line_ids.payment_line_ids
        order = payment_line.order_id
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.payment_mode_id, self.payment_mode)
        self.assertAlmostEqual(payment_line.amount_currency, 6.5)
        self.assertFalse(self._month_end(), "the order already holds January")

        order.draft2open()
        action = order.open2generated()
        attachment = self.env["ir.attachment"].browse(action["res_id"])
        root = etree.fromstring(base64.b64decode(attachment.datas))
        ns = {"p": root.nsmap[None]}
        self.assertIn("pain.008", ns["p"])
        self.assertEqual(root.findtext(".//p:PmtInf/p:PmtMtd", namespaces=ns), "DD")
        self.assertEqual(root.findtext(".//p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=ns), "B2B")
        self.assertEqual(root.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=ns), "FRST")
        self.assertEqual(root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=ns), COMPANY_IBAN)
        transaction = root.find(".//p:DrctDbtTxInf", namespaces=ns)
        self.assertEqual(transaction.findtext("p:InstdAmt", namespaces=ns), "6.50")
        self.assertEqual(
            transaction.findtext(".//p:MndtRltdInf/p:MndtId", namespaces=ns), "ACME-CARSHARE-01"
        )
        self.assertEqual(transaction.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns), ACME_IBAN)
        self.assertEqual(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns), "6.50")

    def test_collection_leaves_the_pre_notification_period(self):
        """Acme's January invoice (31 January) is due at 30 days, on 2 March. Its payment order
        confirmed on 20 February cannot debit before 20 February + 14 days = 6 March: the
        pain.008 asks for 6 March, not the due date nor the file's date."""
        self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        invoice = self._month_end()
        self.assertEqual(
            invoice.invoice_payment_term_id, self.env.ref("account.account_payment_term_30days")
        )
        self.assertEqual(invoice.invoice_date_due, date(2025, 3, 2))
        order = invoice.line_ids.payment_line_ids.order_id
        with freeze_time("2025-02-20 09:00:00"):
            order.draft2open()
            action = order.open2generated()
        attachment = self.env["ir.attachment"].browse(action["res_id"])
        root = etree.fromstring(base64.b64decode(attachment.datas))
        ns = {"p": root.nsmap[None]}
        self.assertEqual(root.findtext(".//p:PmtInf/p:ReqdColltnDt", namespaces=ns), "2025-03-06")
        self.assertEqual(order.payment_ids.date, date(2025, 3, 6))
