import facturx

from odoo import fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    carshare_community_id = fields.Many2one(
        "carshare.community",
        string="Carsharing Community",
        readonly=True,
        index="btree_not_null",
    )
    carshare_damage_id = fields.Many2one(
        "carshare.damage",
        string="Damage",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The responsible damage whose insurance excess this invoice charges.",
    )

    # -- legal mentions ----------------------------------------------------------------------------

    def _carshare_is_business(self):
        """Invoiced to a business (a company or a public body), which owes the late payment
        penalties and indemnity printed on its invoices."""
        self.ensure_one()
        return self.commercial_partner_id.is_company

    def _carshare_is_self_billed(self):
        """A beneficiary's bill of a revenue reversal, issued by the company (autofacturation)."""
        self.ensure_one()
        return self.move_type in ("in_invoice", "in_refund") and bool(
            self.env["carshare.reversal.statement.line"]
            .sudo()
            .search_count([("move_id", "=", self.id)], limit=1)
        )

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

    # -- the orders' note ------------------------------------------------------------------------

    def message_post_with_source(self, source_ref, render_values=None, **kwargs):
        if source_ref == "mail.message_origin_link" and self.env.context.get(
            "carshare_origin_note_batch"
        ):
            return self.env["mail.message"]  # logged for the whole batch: _carshare_log_origin
        return super().message_post_with_source(source_ref, render_values=render_values, **kwargs)

    def _carshare_log_origin(self):
        """Sale's "created from" note of each invoice, logged in one batch: posted one invoice
        at a time, as sale does, it cost a tenth of the batch's invoicing."""
        render = self.env["mail.render.mixin"]._render_template_qweb_view
        bodies = {}
        for move in self:
            origin = move.line_ids.sale_line_ids.order_id
            bodies.update(
                render(
                    "mail.message_origin_link",
                    self._name,
                    move.ids,
                    add_context={"self": move, "origin": origin},
                )
            )
        # As message_post leaves it: the note's subtype is what keeps it from the portal.
        self._message_log_batch(bodies=bodies).is_internal = False

    # -- after posting ---------------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._carshare_hold_credited_orders()
        return posted

    def _carshare_hold_credited_orders(self):
        """A credit note of a carshare order settles it: the refunded quantities must not be
        invoiced (nor charged to the card) again by the next month-end. An invoice of the
        order posted by hand afterwards (e.g. Odoo's "reverse and create invoice") is the
        accountant billing it again."""
        invoiced = self.filtered(lambda m: m.move_type == "out_invoice")
        invoiced.sudo().line_ids.sale_line_ids.order_id.filtered(
            "carshare_credited"
        ).carshare_credited = False
        refunds = self.filtered(lambda m: m.move_type == "out_refund")
        orders = refunds.sudo().line_ids.sale_line_ids.order_id.filtered(
            lambda o: o.carshare_community_id and not o.carshare_credited
        )
        if not orders:
            return
        orders.carshare_credited = True
        for order in orders.filtered("carshare_booking_id"):
            order.carshare_booking_id.message_post(
                body=self.env._(
                    "A credit note refunded the booking: nothing more is invoiced until a "
                    "manager bills it again."
                )
            )

    def _carshare_post(self):
        """Post the invoices and send them on their way: Chorus Pro, SEPA direct-debit orders."""
        self.action_post()
        self._carshare_send_to_chorus()
        self._carshare_add_to_payment_orders()
        self._carshare_queue_sending()
        return self

    def _carshare_queue_sending(self):
        """Queue the invoices in Odoo's own sending (its "Send invoices" cron): it renders the
        legal PDF (Factur-X where the customer's format says so), keeps it as the invoice's
        document, which the portal then shows instead of a pro forma, and mails it to a payer
        with an address. Chorus Pro invoices only get their PDF: Chorus Pro delivers them."""
        root = self.env.ref("base.user_root")
        to_send = self.filtered(lambda m: not m.invoice_pdf_report_id and not m.sending_data)
        # One write a sending method: a write per invoice costs as much as its posting's.
        for by_mail, moves in to_send.grouped(
            lambda m: bool(m.partner_id.email) and m.invoice_sending_method != "fr_chorus"
        ).items():
            moves.sending_data = {
                "author_user_id": root.id,
                "author_partner_id": root.partner_id.id,
                "sending_methods": ["email"] if by_mail else ["manual"],
            }
        self.env.ref("account.ir_cron_account_move_send")._trigger()

    def _carshare_send_to_chorus(self):
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

    def _carshare_add_to_payment_orders(self):
        """Put the invoices paid by direct debit in the draft payment order of their mode."""
        debits = self.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.payment_mode_id.payment_order_ok
            and m.payment_mode_id.payment_type == "inbound"
        )
        if debits:
            debits.create_account_payment_line()
