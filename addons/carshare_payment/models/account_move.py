import logging
from datetime import timedelta

from odoo import Command, api, fields, models

from odoo.addons.carshare_billing.models.carshare_booking import BILLING_CHANNEL
from odoo.addons.carshare_fleet.cron import commit
from odoo.addons.queue_job.job import identity_exact

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

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

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._carshare_plan_card_refunds()
        return posted

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        bookings = self.sudo().invoice_line_ids.carshare_booking_id
        if bookings:
            self.env["carshare.deposit"]._carshare_check_early_release(bookings)
        return result

    def _carshare_post(self):
        result = super()._carshare_post()
        self._carshare_schedule_card_charge()
        return result

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
            commit(self.env)
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
        commit(self.env)
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
        template = self.env.ref("carshare_payment.mail_template_card_payment_failed")
        self.message_post_with_source(template, subtype_xmlid="mail.mt_comment", force_send=False)

    def _carshare_payment_link(self):
        """The invoice's portal page, where the driver pays it (with its access token)."""
        self.ensure_one()
        return f"{self.get_base_url()}{self.get_portal_url()}"
