from odoo import api, models

from odoo.addons.payment import utils as payment_utils


class PaymentProvider(models.Model):
    """Stripe's adapter of the card charges and holds: Stripe places a hold per transaction
    (the intent's ``capture_method``), whatever the provider's manual capture says."""

    _inherit = "payment.provider"

    @api.model
    def _carshare_card_codes(self):
        return super()._carshare_card_codes() + ["stripe"]

    @api.model
    def _carshare_default_card_provider(self, company):
        """The company's Stripe provider."""
        return self.sudo().search(
            [
                ("code", "=", "stripe"),
                ("state", "in", ("enabled", "test")),
                ("company_id", "=", company.id),
            ],
            limit=1,
        ) or super()._carshare_default_card_provider(company)

    def _carshare_can_hold(self):
        self.ensure_one()
        return self.code == "stripe" or super()._carshare_can_hold()

    def _carshare_charges_at_once(self):
        self.ensure_one()
        return self.code == "stripe" or super()._carshare_charges_at_once()

    def _carshare_releases_rest(self):
        self.ensure_one()
        return self.code == "stripe" or super()._carshare_releases_rest()

    def _carshare_hold_status(self, tx):
        self.ensure_one()
        if self.code != "stripe":
            return super()._carshare_hold_status(tx)
        intent = self._stripe_make_request(f"payment_intents/{tx.provider_reference}", method="GET")
        status = intent.get("status")
        return {"requires_capture": "held", "canceled": "canceled"}.get(status, "other")

    def _carshare_sync_canceled_hold(self, tx):
        self.ensure_one()
        if self.code != "stripe":
            return super()._carshare_sync_canceled_hold(tx)
        intent = self._stripe_make_request(f"payment_intents/{tx.provider_reference}", method="GET")
        tx._handle_notification_data(
            "stripe", {"reference": tx.reference, "payment_intent": intent}
        )

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
