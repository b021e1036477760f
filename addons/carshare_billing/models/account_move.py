from odoo import fields, models


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
        """Hook: a bill the company issues for its supplier (autofacturation)."""
        self.ensure_one()
        return False

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
        """Post the invoices and send them on their way: e-invoicing, SEPA direct-debit orders."""
        self.action_post()
        self._carshare_transmit()
        self._carshare_add_to_payment_orders()
        self._carshare_queue_sending()
        return self

    def _carshare_queue_sending(self):
        """Queue the invoices in Odoo's own sending (its "Send invoices" cron): it renders the
        legal PDF (Factur-X where the customer's format says so), keeps it as the invoice's
        document, which the portal then shows instead of a pro forma, and mails it to a payer
        with an address. Invoices an e-invoicing platform delivers only get their PDF."""
        root = self.env.ref("base.user_root")
        to_send = self.filtered(lambda m: not m.invoice_pdf_report_id and not m.sending_data)
        # One write a sending method: a write per invoice costs as much as its posting's.
        for by_mail, moves in to_send.grouped(
            lambda m: bool(m.partner_id.email) and not m._carshare_platform_delivered()
        ).items():
            moves.sending_data = {
                "author_user_id": root.id,
                "author_partner_id": root.partner_id.id,
                "sending_methods": ["email"] if by_mail else ["manual"],
            }
        self.env.ref("account.ir_cron_account_move_send")._trigger()

    def _carshare_transmit(self):
        """Hook: transmit the posted invoices to the e-invoicing platform of their customer."""

    def _carshare_platform_delivered(self):
        """Hook: an e-invoicing platform, not the mail, delivers the invoice to its customer."""
        self.ensure_one()
        return False

    def _carshare_add_to_payment_orders(self):
        """Hook: put the invoices paid by direct debit in their draft payment order."""
