from odoo import Command, api, fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    carshare_deposit_id = fields.Many2one(
        "carshare.deposit",
        string="Deposit",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )

    @api.model
    def _carshare_charge_token(self, token, amount, currency, partner, **values):
        """Charge (or hold) ``amount`` on the saved card ``token``, off-session, through
        Odoo's payment flow; ``values`` complete the transaction (invoices, deposit...)."""
        tx = self.sudo().create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "token_id": token.id,
                "operation": "offline",
                "amount": amount,
                "currency_id": currency.id,
                "partner_id": partner.id,
                **values,
            }
        )
        tx._send_payment_request()
        if (
            not tx.carshare_deposit_id
            and tx.state == "authorized"
            and not tx.provider_id._carshare_charges_at_once()
        ):
            # A provider that holds every payment: an invoice's charge is captured at once.
            tx._send_capture_request()
        return tx

    def _carshare_refund(self, amount, credit_notes):
        """Refund ``amount`` of this card payment to pay ``credit_notes`` back. A provider
        that authorizes every transaction first (payment_demo capturing manually) has the
        refund captured at once."""
        self.ensure_one()
        refund = self.with_context(carshare_refund_move_ids=credit_notes.ids)._send_refund_request(
            amount_to_refund=amount
        )
        if refund.state == "authorized" and not refund.provider_id._carshare_charges_at_once():
            refund._send_capture_request()
        return refund

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        if is_refund and self.env.context.get("carshare_refund_move_ids"):
            # The refund pays the credit note back to the driver.
            custom_create_values = {
                "invoice_ids": [Command.set(self.env.context["carshare_refund_move_ids"])],
                **custom_create_values,
            }
        if self.carshare_deposit_id and not is_refund:
            custom_create_values = {
                "carshare_deposit_id": self.carshare_deposit_id.id,
                "invoice_ids": [Command.set(self.invoice_ids.ids)],
                **custom_create_values,
            }
        return super()._create_child_transaction(
            amount, is_refund=is_refund, **custom_create_values
        )

    def _carshare_void_rest_of_hold(self, child, amount_to_capture):
        """Providers that keep the rest of a partly captured hold authorized: a deposit's
        capture releases it. Called once the capture is over, whatever the order in which the
        providers' modules extend ``_send_capture_request``."""
        if not (child and child.state == "done") or self.provider_id._carshare_releases_rest():
            return
        rest = self.amount - amount_to_capture
        if self.currency_id.compare_amounts(rest, 0) > 0:
            self.with_context(carshare_deposit_action=True)._send_void_request(amount_to_void=rest)

    def _post_process(self):
        """Once the captured part of a hold has paid the invoice (account_payment reconciles
        it with the hold's invoices), the hold is no longer linked to the invoice: its full
        amount would show as paid."""
        self._carshare_capture_invoice_payments()
        result = super()._post_process()
        paid = self.filtered(
            lambda tx: tx.carshare_deposit_id
            and tx.payment_id
            and tx.source_transaction_id.invoice_ids
            and tx.source_transaction_id.operation == tx.operation
        )
        paid.source_transaction_id.invoice_ids = [Command.clear()]
        self._carshare_hold_waiting_deposits()
        return result

    def _carshare_capture_invoice_payments(self):
        """A driver's payment of carsharing invoices (from the portal) authorized by a provider
        that holds every payment is captured at once: it pays the invoices, as the billing's
        own charges do; only deposits stay held."""
        payments = self.filtered(
            lambda tx: tx.state == "authorized"
            and tx.operation != "validation"
            and not tx.carshare_deposit_id
            and tx.invoice_ids
            and all(tx.invoice_ids.mapped("carshare_community_id"))
            and not tx.provider_id._carshare_charges_at_once()
        )
        for tx in payments:
            tx._send_capture_request()

    def _carshare_hold_waiting_deposits(self):
        """A driver who just saved a card gets the deposits waiting for one held now (by the
        deposits' cron, which commits each hold), not at the cron's next hourly run."""
        saved = self.filtered(lambda tx: tx.token_id and tx.state in ("done", "authorized"))
        if saved and self.env["carshare.deposit"].sudo().search_count(
            [("partner_id", "in", saved.partner_id.ids), ("state", "=", "to_register")],
            limit=1,
        ):
            self.env.ref("carshare_payment.ir_cron_carshare_deposits").sudo()._trigger()

    def _set_canceled(self, state_message=None, extra_allowed_states=()):
        canceled = super()._set_canceled(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        if not self.env.context.get("carshare_deposit_action"):
            for tx in canceled.filtered("carshare_deposit_id"):
                deposit = tx.carshare_deposit_id
                if deposit.state == "held" and deposit.hold_transaction_id == tx:
                    deposit._carshare_hold_canceled(tx)
        return canceled
