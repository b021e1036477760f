from odoo import models

from odoo.addons.payment import utils as payment_utils


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """Capture part of a deposit's hold: payment_stripe captures the whole intent, Stripe
        accepts ``amount_to_capture`` and releases the rest."""
        amount = self.env.context.get("carshare_amount_to_capture")
        if amount and method == "POST" and endpoint.endswith("/capture"):
            currency = self.env.context["carshare_capture_currency"]
            payload = {
                **(payload or {}),
                "amount_to_capture": payment_utils.to_minor_currency_units(amount, currency),
            }
        return super()._stripe_make_request(
            endpoint,
            payload=payload,
            method=method,
            offline=offline,
            idempotency_key=idempotency_key,
        )
