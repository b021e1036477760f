import facturx

from odoo import models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    # -- Factur-X for Chorus Pro -----------------------------------------------------------------

    def _chorus_get_invoice(self, chorus_invoice_format):
        if chorus_invoice_format == "pdf_factur-x":
            return self._carshare_facturx_pdf()
        if chorus_invoice_format == "xml_cii":
            return self._carshare_facturx_xml()
        return super()._chorus_get_invoice(chorus_invoice_format)

    def _carshare_facturx_xml(self):
        """The invoice's Factur-X (CII) XML, checked against the official schema."""
        self.ensure_one()
        xml = self.env["account.edi.xml.cii"]._export_invoice(self)[0]
        try:
            facturx.xml_check_xsd(xml, flavor="factur-x")
        except Exception as error:
            raise UserError(
                self.env._(
                    "The Factur-X XML of %(invoice)s is not valid: %(error)s",
                    invoice=self.display_name,
                    error=error,
                )
            ) from error
        return xml

    def _carshare_facturx_pdf(self):
        """The invoice PDF with its Factur-X XML embedded (PDF/A-3)."""
        self.ensure_one()
        pdf, report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account.account_invoices", self.ids
        )
        if report_type != "pdf":
            raise UserError(
                self.env._("The PDF of %(invoice)s could not be rendered.", invoice=self.name)
            )
        return facturx.generate_from_binary(
            pdf, self._carshare_facturx_xml(), flavor="factur-x", check_xsd=False
        )

    # -- Chorus Pro ------------------------------------------------------------------------------

    def _carshare_platform_delivered(self):
        return self.invoice_sending_method == "fr_chorus" or super()._carshare_platform_delivered()

    def _carshare_transmit(self):
        """Transmit the invoices of public customers when their company uses the Chorus Pro
        API; a refusal is logged on the invoices, which can be sent again once fixed."""
        to_send = self.filtered(
            lambda m: m.invoice_sending_method == "fr_chorus" and not m.chorus_flow_id
        )
        for company, invoices in to_send.grouped("company_id").items():
            if not company._chorus_get_api_params():
                continue
            try:
                with self.env.cr.savepoint():
                    invoices._fr_chorus_send()
            except UserError as error:
                for invoice in invoices:
                    invoice.message_post(
                        body=self.env._(
                            "Chorus Pro did not take the invoice: %(error)s", error=str(error)
                        )
                    )
        return super()._carshare_transmit()
