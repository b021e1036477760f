from odoo import api, models

from odoo.addons.payment import utils as payment_utils


class PaymentProvider(models.Model):
    """Card charges and holds of the billing go through these methods only: each provider's
    adapter says what Odoo decides per provider. Stripe places a hold per transaction (the
    intent's ``capture_method``); Odoo's generic rule, used by ``payment_demo``, holds every
    transaction of a provider that captures manually."""

    _inherit = "payment.provider"

    @api.model
    def _carshare_card_codes(self):
        """Providers the billing charges saved cards with; an adapter adds its code."""
        return ["stripe", "demo"]

    @api.model
    def _carshare_card_provider(self, company):
        """The company's provider for card charges and deposits, if card payments are set up:
        the one chosen in its settings, else its Stripe provider."""
        chosen = company.sudo().carshare_card_provider_id
        if chosen:
            return chosen if chosen.state in ("enabled", "test") else self.browse()
        return self.sudo().search(
            [
                ("code", "=", "stripe"),
                ("state", "in", ("enabled", "test")),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )

    def _carshare_can_hold(self):
        """Whether a deposit can be held on the card (then captured in part or released)."""
        self.ensure_one()
        if self.code == "stripe":
            return True
        return self.capture_manually and self.support_manual_capture == "partial"

    def _carshare_charges_at_once(self):
        """Whether a charge is taken at once; otherwise it is authorized first, then the
        billing captures it in full."""
        self.ensure_one()
        return self.code == "stripe" or not self.capture_manually

    def _carshare_can_refund(self):
        self.ensure_one()
        return self.support_refund in ("full_only", "partial")

    def _carshare_hold_status(self, tx):
        """``'held'`` while ``tx`` can still be captured, ``'canceled'`` once the card's bank
        or the provider dropped it, ``'other'`` otherwise, as the provider has it now."""
        self.ensure_one()
        if self.code == "stripe":
            intent = self._stripe_make_request(
                f"payment_intents/{tx.provider_reference}", method="GET"
            )
            status = intent.get("status")
            return {"requires_capture": "held", "canceled": "canceled"}.get(status, "other")
        return {"authorized": "held", "cancel": "canceled"}.get(tx.state, "other")

    def _carshare_sync_canceled_hold(self, tx):
        """The provider dropped the hold ``tx``: record it on the transaction."""
        self.ensure_one()
        if self.code == "stripe":
            intent = self._stripe_make_request(
                f"payment_intents/{tx.provider_reference}", method="GET"
            )
            tx._handle_notification_data(
                "stripe", {"reference": tx.reference, "payment_intent": intent}
            )
        elif tx.state != "cancel":
            tx._set_canceled()

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
