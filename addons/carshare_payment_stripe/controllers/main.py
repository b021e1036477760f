import json
import logging

from werkzeug.exceptions import BadRequest, Forbidden

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
        """Process each Stripe event once: a replayed event is acknowledged and skipped.

        An event that is not JSON, or comes without a well-formed signature, is refused with a
        400 before payment_stripe reads it (where it would fail with a 500).
        """
        problem = self._carshare_malformed_event()
        if problem:
            _logger.warning("refused a Stripe event: %s", problem)
            raise BadRequest()
        try:
            return super().stripe_webhook()
        except ReplayedEvent:
            return request.make_json_response("")

    @staticmethod
    def _carshare_malformed_event():
        """What makes the request unreadable as a signed Stripe event, or None."""
        try:
            event = json.loads(request.httprequest.get_data())
        except ValueError:
            return "the body is not JSON"
        if not (
            isinstance(event, dict)
            and isinstance(event.get("type"), str)
            and isinstance(event.get("data"), dict)
            and isinstance(event["data"].get("object"), dict)
            and "id" in event["data"]["object"]
        ):
            return "the body is not a Stripe event"
        header = request.httprequest.headers.get("Stripe-Signature")
        if not header:
            return "no Stripe-Signature header"
        entries = [entry.split("=") for entry in header.split(",")]
        if any(len(entry) != 2 for entry in entries):
            return "malformed Stripe-Signature header"
        signature = dict(entries)
        if not signature.get("t", "").isdigit() or not signature.get("v1"):
            return "the Stripe-Signature header has no timestamp or signature"
        return None

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
