from odoo import Command, models
from odoo.tools import float_compare


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _stripe_prepare_payment_intent_payload(self):
        """Deposits are card holds, captured or released later; invoices are charged at once,
        even when the provider captures manually."""
        payload = super()._stripe_prepare_payment_intent_payload()
        if self.carshare_deposit_id:
            payload["capture_method"] = "manual"
        elif self.invoice_ids:
            payload["capture_method"] = "automatic"
        return payload

    def _send_capture_request(self, amount_to_capture=None):
        """Deposits: capture part of the hold, as Stripe allows. The captured part is a child
        transaction (it makes the payment); the rest, released by Stripe, a cancelled one."""
        partial = (
            self.carshare_deposit_id
            and self.provider_code == "stripe"
            and amount_to_capture
            and float_compare(
                amount_to_capture, self.amount, precision_rounding=self.currency_id.rounding
            )
            != 0
        )
        if not partial:
            return super()._send_capture_request(amount_to_capture=amount_to_capture)
        tx = self.with_context(
            carshare_amount_to_capture=amount_to_capture,
            carshare_capture_currency=self.currency_id,
        )
        child = (
            super(PaymentTransaction, tx)
            ._send_capture_request(amount_to_capture=amount_to_capture)
            .with_env(self.env)
        )
        if self.state == "done":
            child.provider_reference = self.provider_reference
            child._set_done()
            # Only the captured part pays the invoice, not the released rest.
            released = self._create_child_transaction(
                self.amount - amount_to_capture, invoice_ids=[Command.clear()]
            )
            released.provider_reference = self.provider_reference
            released.with_context(carshare_deposit_action=True)._set_canceled(
                state_message=self.env._("Released by Stripe with the partial capture.")
            )
        return child
