import logging
from datetime import timedelta

import facturx

from odoo import Command, api, fields, models, modules
from odoo.exceptions import UserError

from odoo.addons.queue_job.job import identity_exact

from .carshare_booking import BILLING_CHANNEL

_logger = logging.getLogger(__name__)


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
        posted._carshare_plan_card_refunds()
        return posted

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        bookings = self.sudo().invoice_line_ids.carshare_booking_id
        if bookings:
            self.env["carshare.deposit"]._carshare_check_early_release(bookings)
        return result

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
        self._carshare_schedule_card_charge()
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
        """Hook: put the invoices paid by direct debit in their draft payment order."""

    # -- card charges (Stripe) -------------------------------------------------------------------

    carshare_charge_due_at = fields.Datetime(
        string="Card Charge Due",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The driver's card is charged from this moment (personal use), then again after "
        "each failure as the community's retry policy says.",
    )
    carshare_dunning_state = fields.Selection(
        [
            ("none", "No Reminder"),
            ("failed", "Card Payment Failed"),
            ("exhausted", "Card Retries Exhausted"),
        ],
        string="Card Dunning",
        default="none",
        copy=False,
        readonly=True,
        tracking=True,
        help="Card payment failed: the driver was sent the invoice's payment link and the card "
        "is charged again later. Retries exhausted: the accountant follows up.",
    )
    carshare_charge_attempts = fields.Integer(
        string="Card Charge Attempts", copy=False, readonly=True
    )
    carshare_charge_error = fields.Char(string="Card Charge Error", copy=False, readonly=True)
    carshare_refund_due = fields.Boolean(
        string="Card Refund Due",
        copy=False,
        readonly=True,
        index=True,
        help="A credit note of an invoice paid by card: what it leaves owed to the driver is "
        "refunded to the card by the card charges' cron.",
    )

    def _carshare_schedule_card_charge(self):
        """Personal-use invoices of bookings are charged to the driver's card the community's
        delay after the booking's end, when the company takes cards; an invoice issued later
        (billed again after a credit note) leaves the driver the same delay from its issue."""
        Deposit = self.env["carshare.deposit"]
        invoices = self.filtered(lambda m: m.move_type == "out_invoice")
        for company, company_invoices in invoices.grouped("company_id").items():
            if not Deposit._card_provider(company):
                continue
            for invoice in company_invoices:
                bookings = invoice.invoice_line_ids.carshare_booking_id
                if not bookings or any(b.usage != "perso" for b in bookings):
                    continue
                ends = [b.date_return or b._carshare_billed_end() for b in bookings]
                ends.append(fields.Datetime.now())
                delay = timedelta(hours=invoice.carshare_community_id.charge_delay_hours)
                invoice.carshare_charge_due_at = max(ends) + delay

    @api.model
    def _cron_carshare_charge_cards(self):
        """Queue a job charging the driver's card for each due, unpaid invoice, and one
        refunding each credit note owed to a card. Each charge is committed as soon as Stripe
        answered, so that a later failure cannot forget a payment Stripe has made; one failing
        invoice does not stop the others."""
        invoices = self.search(
            [
                ("carshare_charge_due_at", "<=", fields.Datetime.now()),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("carshare_dunning_state", "!=", "exhausted"),
            ],
            order="carshare_charge_due_at, id",
        )
        for invoice in invoices:
            invoice._carshare_delay(
                self.env._("Charge the invoice %(invoice)s to the card", invoice=invoice.name)
            )._carshare_charge_card()
        for credit_note in self.search([("carshare_refund_due", "=", True)], order="id"):
            credit_note._carshare_delay(
                self.env._("Refund the credit note %(note)s to the card", note=credit_note.name)
            )._carshare_refund_card()

    def _carshare_delay(self, description):
        return self.with_delay(
            channel=BILLING_CHANNEL, identity_key=identity_exact, description=description
        )

    def _carshare_job_failed(self, exc_message=None, **_failure):
        """A card job of the invoice failed for good: tell the accountant on the invoice."""
        for move in self.sudo():
            move.message_post(
                body=self.env._(
                    "The card payment job failed: %(error)s The job queue keeps its details.",
                    error=exc_message or self.env._("unknown error"),
                )
            )

    # -- card refunds ----------------------------------------------------------------------------

    def _carshare_plan_card_refunds(self):
        """Credit notes of carsharing invoices paid by card are refunded to the card."""
        self.filtered(
            lambda m: m.move_type == "out_refund"
            and m.carshare_community_id
            and m.reversed_entry_id._carshare_refundable_transactions()
        ).carshare_refund_due = True

    def _carshare_refundable_transactions(self):
        """The card payments of the invoice the provider can refund, with what each may
        still refund: ``[(transaction, amount)]``."""
        result = []
        transactions = self.sudo().transaction_ids.filtered(
            lambda tx: tx.state == "done"
            and tx.operation != "refund"
            and tx.payment_id
            and tx.provider_id._carshare_can_refund()
        )
        for tx in transactions.sorted("id"):
            refunds = tx.child_transaction_ids.filtered(
                lambda child: child.operation == "refund" and child.state not in ("cancel", "error")
            )
            left = tx.amount + sum(refunds.mapped("amount"))
            if tx.currency_id.compare_amounts(left, 0) > 0:
                result.append((tx, left))
        return result

    def _carshare_refund_card(self):
        """Refund to the card what the credit note leaves owed to the driver once reconciled
        with its invoice; returns the refund transactions. One refund at a time: what the
        provider has refunded is committed before anything else."""
        self.ensure_one()
        self.carshare_refund_due = False
        owed = self.amount_residual if self.state == "posted" else 0.0
        refunds = self.env["payment.transaction"]
        for tx, refundable in self.reversed_entry_id._carshare_refundable_transactions():
            if self.currency_id.compare_amounts(owed, 0) <= 0:
                break
            amount = min(owed, refundable)
            try:
                with self.env.cr.savepoint():
                    refund = tx._carshare_refund(amount, self)
            except Exception as error:  # the accountant refunds it by hand
                _logger.exception("card refund of %s failed", self.name)
                self.message_post(
                    body=self.env._(
                        "The refund of %(amount)s to the card failed: %(error)s",
                        amount=amount,
                        error=error,
                    )
                )
                break
            self._carshare_commit()
            refunds |= refund
            owed -= amount
            if refund.state == "done":
                self._carshare_post_process_refund(refund)
        return refunds

    def _carshare_post_process_refund(self, refund):
        try:
            with self.env.cr.savepoint():
                refund._post_process()
        except Exception:  # refunded at the provider: payment's cron finishes it
            _logger.exception("post-processing of the card refund %s failed", refund.reference)

    def _carshare_commit(self):
        if not modules.module.current_test:
            # As payment's own crons do: keep each charge Stripe has made.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _carshare_charge_card(self):
        """Charge what the invoice still owes to the driver's card with Odoo's payment flow,
        once at a time: returns the transaction, or nothing when no charge was made. The
        transaction is kept once Stripe answered; if its post-processing fails, payment's
        cron ``payment.cron_post_process_payment_tx`` finishes it."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                tx = self._carshare_request_charge()
        except Exception as error:  # one invoice must not block the others
            _logger.exception("card charge of %s failed", self.name)
            self._carshare_count_failed_charge(str(error))
            return self.env["payment.transaction"]
        if not tx:
            return tx
        self._carshare_commit()
        if tx.state == "done":
            self._carshare_charge_succeeded(tx)
        elif tx.state in ("error", "cancel"):
            self._carshare_charge_failed(tx.state_message)
        return tx

    def _carshare_request_charge(self):
        """Lock the invoice, create the transaction and ask Stripe to charge the card."""
        if not self._carshare_lock_for_charge() or self._carshare_charge_in_progress():
            return self.env["payment.transaction"]
        self.invalidate_recordset(["state", "payment_state", "amount_residual"])
        if self.state != "posted" or self.payment_state not in ("not_paid", "partial"):
            return self.env["payment.transaction"]
        token = self.env["carshare.deposit"]._card_token(self.partner_id, self.company_id)
        if not token:
            self._carshare_charge_failed(self.env._("No card is registered."))
            return self.env["payment.transaction"]
        return self.env["payment.transaction"]._carshare_charge_token(
            token,
            self.amount_residual,
            self.currency_id,
            self.partner_id,
            invoice_ids=[Command.set(self.ids)],
        )

    def _carshare_charge_succeeded(self, tx):
        try:
            with self.env.cr.savepoint():
                tx._post_process()
        except Exception:  # Stripe was paid: payment's cron retries it
            _logger.exception(
                "post-processing of the card charge %s of %s failed; payment's cron will "
                "finish it",
                tx.reference,
                self.name,
            )
        self.write({"carshare_dunning_state": "none", "carshare_charge_error": False})

    def _carshare_lock_for_charge(self):
        """Lock the invoice against a concurrent charge (cron and manual run); False if
        another one holds it."""
        self.env.cr.execute(
            "SELECT id FROM account_move WHERE id = %s FOR UPDATE SKIP LOCKED", [self.id]
        )
        return bool(self.env.cr.fetchone())

    def _carshare_charge_in_progress(self):
        """A charge of the invoice Stripe may still make or has made: then no other one.
        A draft left by a driver who opened the payment link and left does not count
        after an hour."""
        abandoned = fields.Datetime.now() - timedelta(hours=1)
        return bool(
            self.sudo().transaction_ids.filtered(
                lambda tx: not tx.carshare_deposit_id
                and (
                    tx.state in ("pending", "authorized")
                    or (tx.state == "done" and tx.operation == "offline")
                    or (tx.state == "done" and not tx.is_post_processed)
                    or (
                        tx.state == "draft"
                        and (tx.operation == "offline" or tx.create_date > abandoned)
                    )
                )
            )
        )

    def _carshare_count_failed_charge(self, reason):
        try:
            with self.env.cr.savepoint():
                self._carshare_charge_failed(reason)
        except Exception:  # already logged: the other invoices go on
            _logger.exception("the failed card charge of %s could not be counted", self.name)

    def _carshare_charge_failed(self, reason):
        """Count the attempt, plan the next one or stop, and send the driver the link to pay."""
        community = self.carshare_community_id
        attempts = self.carshare_charge_attempts + 1
        exhausted = attempts >= community.charge_max_attempts
        retry = fields.Datetime.now() + timedelta(hours=community.charge_retry_hours)
        self.write(
            {
                "carshare_charge_attempts": attempts,
                "carshare_charge_error": reason,
                "carshare_dunning_state": "exhausted" if exhausted else "failed",
                "carshare_charge_due_at": False if exhausted else retry,
            }
        )
        template = self.env.ref("carshare_billing.mail_template_card_payment_failed")
        self.message_post_with_source(template, subtype_xmlid="mail.mt_comment", force_send=False)

    def _carshare_payment_link(self):
        """The invoice's portal page, where the driver pays it (with its access token)."""
        self.ensure_one()
        return f"{self.get_base_url()}{self.get_portal_url()}"
