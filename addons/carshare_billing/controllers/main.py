import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class ReplayedEvent(Exception):
    """A Stripe event already processed, sent again."""


class CarshareStripeController(StripeController):
    @http.route()
    def stripe_webhook(self):
        """Process each Stripe event once: a replayed event is acknowledged and skipped."""
        try:
            return super().stripe_webhook()
        except ReplayedEvent:
            return request.make_json_response("")

    def _verify_notification_signature(self, tx_sudo):
        """Once the signature is verified, record the event; refuse one already recorded.
        Without a webhook secret nothing can be verified: the event is refused, where
        payment_stripe would process it unsigned."""
        if not stripe_utils.get_webhook_secret(tx_sudo.provider_id):
            _logger.warning("refused a Stripe event: the provider has no webhook secret")
            raise Forbidden()
        result = super()._verify_notification_signature(tx_sudo)
        event = request.get_json_data()
        events = request.env["carshare.stripe.event"].sudo()
        if not events._carshare_record(event, tx_sudo.provider_id):
            _logger.info("skipped the replayed Stripe event %s", event.get("id"))
            raise ReplayedEvent()
        return result
