from odoo import api, fields, models


class CarshareStripeEvent(models.Model):
    """Stripe webhook events already processed: Stripe may send an event again, and an
    attacker may replay one; each is processed once."""

    _name = "carshare.stripe.event"
    _description = "Processed Stripe Event"
    _order = "id desc"
    _rec_name = "event_id"

    event_id = fields.Char(required=True, readonly=True, index=True)
    event_type = fields.Char(readonly=True)
    object_id = fields.Char(string="Stripe Object", readonly=True)
    provider_id = fields.Many2one("payment.provider", readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)

    _sql_constraints = [
        ("event_id_uniq", "unique(event_id)", "A Stripe event is processed once."),
    ]

    @api.model
    def _carshare_record(self, event, provider):
        """Record the event; return False when it was processed already."""
        if self.search_count([("event_id", "=", event["id"])], limit=1):
            return False
        self.create(
            {
                "event_id": event["id"],
                "event_type": event.get("type"),
                "object_id": event.get("data", {}).get("object", {}).get("id"),
                "provider_id": provider.id,
            }
        )
        return True
