import base64
import io
from unittest.mock import patch

import facturx
from lxml import etree
from pypdf import PdfWriter

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

from ..fakes.fake_chorus import FakeChorusPro

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


def _blank_pdf():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


@tagged("post_install", "-at_install")
class TestChorusPro(CarshareBillingCase):
    chorus_pro = FakeChorusPro()

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        if "piste.gouv.fr" in request.url:
            return cls.chorus_pro.answer(request)
        return super()._request_handler(session, request, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.dict(
                config.options,
                {
                    "chorus_api_oauth_id": "carshare-id",
                    "chorus_api_oauth_secret": "carshare-secret",
                },
            )
        )
        fr = cls.env.ref("base.fr")
        cls.company.partner_id.write(
            {
                "siren": "732829320",
                "nic": "00074",
                "vat": "FR44732829320",
                "street": "1 place du Général Bonet",
                "zip": "61000",
                "city": "Alençon",
                "country_id": fr.id,
                "phone": "+33 2 33 00 00 00",
                "email": "autopartage@example.com",
            }
        )
        cls.company.sudo().write(
            {
                "fr_chorus_invoice_format": "pdf_factur-x",
                "fr_chorus_api_login": "TECH_carshare@cpro.fr",
                "fr_chorus_api_password": "chorus-password",
            }
        )
        bank_journal = cls.company_data["default_journal_bank"]
        bank_journal.bank_account_id = (
            cls.env["res.partner.bank"]
            .sudo()
            .create(
                {
                    "acc_number": "FR7630001007941234567890185",
                    "partner_id": cls.company.partner_id.id,
                }
            )
        )
        manual_in = bank_journal.inbound_payment_method_line_ids.filtered(
            lambda line: line.code == "manual"
        )
        cls.department = cls.env["res.partner"].create(
            {
                "name": "Département de l'Orne",
                "is_company": True,
                "siren": "214401093",
                "nic": "00015",
                "vat": "FR74214401093",
                "street": "27 boulevard de Strasbourg",
                "zip": "61000",
                "city": "Alençon",
                "country_id": fr.id,
                "invoice_sending_method": "fr_chorus",
                "fr_chorus_required": "service_and_engagement",
                "carshare_purchase_order_ref": "EJ-2025-0042",
                "carshare_contract_ref": "MARCHE-2024-12",
                "property_inbound_payment_method_line_id": manual_in.id,
            }
        )
        cls.service = cls.env["chorus.partner.service"].create(
            {"partner_id": cls.department.id, "code": "SVC-FLOTTE", "name": "Service flotte"}
        )
        cls.env["res.partner"].create(
            {
                "name": "Service flotte",
                "type": "invoice",
                "parent_id": cls.department.id,
                "fr_chorus_service_id": cls.service.id,
                "property_inbound_payment_method_line_id": manual_in.id,
            }
        )
        cls.eve = cls._driver("Eve Lambert", "employee", cls.department)

    def setUp(self):
        super().setUp()
        self.chorus_pro.deposits.clear()
        self.chorus_pro.refuse = False
        self.env.registry.clear_cache()  # the PISTE token is cached
        pdf_patcher = patch.object(
            type(self.env["ir.actions.report"]),
            "_render_qweb_pdf",
            return_value=(_blank_pdf(), "pdf"),
        )
        pdf_patcher.start()
        self.addCleanup(pdf_patcher.stop)

    def _invoice_the_department(self):
        """Eve drives 2 h for the département: 3.00 + 1.00 = 4.00 TTC (the monthly fee is the
        residents')."""
        self._trip(FRIDAY_9H, 2, km=25, driver=self.eve, usage="pro")
        return self._month_end()

    def test_invoice_carries_the_chorus_references(self):
        invoice = self._invoice_the_department()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id.fr_chorus_service_id, self.service)
        self.assertEqual(invoice.buyer_reference, "SVC-FLOTTE")
        self.assertEqual(invoice.purchase_order_reference, "EJ-2025-0042")
        self.assertEqual(invoice.contract_reference, "MARCHE-2024-12")
        self.assertEqual(invoice.ref, "EJ-2025-0042")
        self.assertEqual(invoice.chorus_service_code, "SVC-FLOTTE")

    def test_factur_x_sent_to_chorus_pro(self):
        """The posted invoice goes to Chorus Pro as a Factur-X PDF whose XML is valid against
        the official schema and carries the service code, commitment and contract numbers."""
        invoice = self._invoice_the_department()
        self.assertEqual(len(self.chorus_pro.deposits), 1)
        deposit = self.chorus_pro.deposits[0]
        self.assertEqual(deposit["body"]["syntaxeFlux"], "IN_DP_E2_CII_FACTURX")
        self.assertEqual(deposit["headers"]["Authorization"], "Bearer piste-token")
        self.assertEqual(invoice.chorus_flow_id.name, "FX00000001")
        pdf = base64.b64decode(deposit["body"]["fichierFlux"])
        filename, xml = facturx.get_facturx_xml_from_pdf(pdf)
        self.assertEqual(filename, "factur-x.xml")
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x"))
        tree = etree.fromstring(xml)
        self.assertEqual(tree.findtext(f".//{RAM}BuyerReference"), "SVC-FLOTTE")
        self.assertEqual(
            tree.findtext(f".//{RAM}BuyerOrderReferencedDocument/{RAM}IssuerAssignedID"),
            "EJ-2025-0042",
        )
        self.assertEqual(
            tree.findtext(f".//{RAM}ContractReferencedDocument/{RAM}IssuerAssignedID"),
            "MARCHE-2024-12",
        )
        self.assertEqual(tree.findtext(f".//{RAM}GrandTotalAmount"), "4.00")
        invoice.chorus_flow_id.update_flow_status()
        self.assertEqual(invoice.chorus_flow_id.status, "IN_INTEGRE")

    def test_cii_xml_format(self):
        self.company.sudo().fr_chorus_invoice_format = "xml_cii"
        invoice = self._invoice_the_department()
        deposit = self.chorus_pro.deposits[0]["body"]
        self.assertEqual(deposit["syntaxeFlux"], "IN_DP_E1_CII_16B")
        xml = base64.b64decode(deposit["fichierFlux"])
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x"))
        self.assertTrue(invoice.chorus_flow_id)

    def test_chorus_pro_refusal_keeps_the_invoice(self):
        """Chorus Pro refuses the file: the invoice stays posted, unsent, with the reason."""
        self.chorus_pro.refuse = True
        with mute_logger("odoo.addons.l10n_fr_chorus_account.models.res_company"):
            invoice = self._invoice_the_department()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(invoice.chorus_flow_id)
        self.assertIn("GCU_MSG_03_000", invoice.message_ids[0].body)

    def test_engagement_required(self):
        """Without a commitment number, Chorus Pro's rules refuse the département's invoice:
        the month-end still invoices Acme (Bob 2 h: 3.00 + 1.00 = 4.00), tells the accountant
        (an activity on the département, a message on Eve's booking) and goes on. Once the
        number is set on the département, the next run invoices Eve's booking, already
        confirmed, with it: 3.00 + 1.00 = 4.00."""
        self.department.carshare_purchase_order_ref = False
        eve = self._trip(FRIDAY_9H, 2, driver=self.eve, usage="pro")
        bob = self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro", vehicle=self.vehicle_2)
        invoices = self._month_end()
        self.assertEqual(invoices.partner_id, self.employer)
        self.assertAlmostEqual(invoices.amount_total, 4.0)
        self.assertEqual(bob.billing_state, "invoiced")
        self.assertEqual(eve.billing_state, "to_invoice")
        self.assertFalse(self.chorus_pro.deposits)
        activity = self.department.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn(eve.name, activity.note)
        self.assertIn("commitment number", activity.note)
        self.assertIn("commitment number", eve.message_ids[0].body)
        self.department.carshare_purchase_order_ref = "EJ-2025-0099"
        invoice = self._month_end()
        self.assertEqual(invoice.commercial_partner_id, self.department)
        self.assertEqual(invoice.ref, "EJ-2025-0099")
        self.assertAlmostEqual(invoice.amount_total, 4.0)
        self.assertEqual(eve.billing_state, "invoiced")
