from odoo import api, models


class PaymentProvider(models.Model):
    """Card charges and holds of the billing go through these methods only: each provider's
    adapter says what Odoo decides per provider. Odoo's generic rule, used by
    ``payment_demo``, holds every transaction of a provider that captures manually; an
    adapter (carshare_payment_stripe) overrides them for its provider's code."""

    _inherit = "payment.provider"

    @api.model
    def _carshare_card_codes(self):
        """Providers the billing charges saved cards with; an adapter adds its code."""
        return ["demo"]

    @api.model
    def _carshare_card_provider(self, company):
        """The company's provider for card charges and deposits, if card payments are set up:
        the one chosen in its settings, else the adapters' default."""
        chosen = company.sudo().carshare_card_provider_id
        if chosen:
            return chosen if chosen.state in ("enabled", "test") else self.browse()
        return self._carshare_default_card_provider(company)

    @api.model
    def _carshare_default_card_provider(self, company):
        """Hook: the provider of a company that chose none; an adapter returns its own."""
        return self.browse()

    def _carshare_can_hold(self):
        """Whether a deposit can be held on the card (then captured in part or released)."""
        self.ensure_one()
        return self.capture_manually and self.support_manual_capture == "partial"

    def _carshare_charges_at_once(self):
        """Whether a charge is taken at once; otherwise it is authorized first, then the
        billing captures it in full."""
        self.ensure_one()
        return not self.capture_manually

    def _carshare_releases_rest(self):
        """Whether a partial capture releases the rest of the hold at the provider; otherwise
        the billing voids it."""
        self.ensure_one()
        return False

    def _carshare_can_refund(self):
        self.ensure_one()
        return self.support_refund in ("full_only", "partial")

    def _carshare_hold_status(self, tx):
        """``'held'`` while ``tx`` can still be captured, ``'canceled'`` once the card's bank
        or the provider dropped it, ``'other'`` otherwise, as the provider has it now."""
        self.ensure_one()
        return {"authorized": "held", "cancel": "canceled"}.get(tx.state, "other")

    def _carshare_sync_canceled_hold(self, tx):
        """The provider dropped the hold ``tx``: record it on the transaction."""
        self.ensure_one()
        if tx.state != "cancel":
            tx._set_canceled()
