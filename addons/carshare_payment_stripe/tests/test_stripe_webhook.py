import time
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase
from odoo.addons.payment.models.payment_transaction import PaymentTransaction

from .fake_stripe import FakeStripeMixin

WEBHOOK = "/payment/stripe/webhook"


@tagged("post_install", "-at_install")
class TestStripeWebhook(FakeStripeMixin, CarshareBillingCase, HttpCase):
    """Stripe's webhook, over HTTP: verified by its signature, each event processed once."""

    def setUp(self):
        super().setUp()
        self.stripe_token(self.alice)
        self.booking = self._book(FRIDAY_9H, 2)
        self.deposit = self.booking.carshare_deposit_ids
        self.hold = self.deposit.hold_transaction_id
        # Stripe drops the hold, and tells Odoo.
        created = self.fake_stripe.get(self.hold.provider_reference)["created"]
        (self.intent,) = self.fake_stripe.expire_holds(created + 8 * 86400)

    def _send(self, payload, headers):
        with mute_logger("odoo.addons.payment_stripe.controllers.main", "werkzeug"):
            response = self.url_open(WEBHOOK, data=payload, headers=headers)
        self.env.invalidate_all()
        return response

    def _events(self):
        return self.env["carshare.stripe.event"].search([])

    def test_signed_event_is_processed(self):
        payload, headers = self.fake_stripe.webhook("payment_intent.canceled", self.intent)
        response = self._send(payload, headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.hold.state, "cancel")
        self.assertEqual(self.deposit.state, "expired")
        self.assertTrue(self.deposit.activity_ids)
        event = self._events()
        self.assertEqual(event.event_type, "payment_intent.canceled")
        self.assertEqual(event.object_id, self.intent["id"])

    def test_replayed_event_is_skipped(self):
        payload, headers = self.fake_stripe.webhook("payment_intent.canceled", self.intent)
        handle = PaymentTransaction._handle_notification_data
        with patch.object(
            PaymentTransaction, "_handle_notification_data", autospec=True, side_effect=handle
        ) as handled:
            self.assertEqual(self._send(payload, headers).status_code, 200)
            self.assertEqual(self._send(payload, headers).status_code, 200)
        self.assertEqual(handled.call_count, 1)
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(len(self.deposit.activity_ids), 1)

    def _assert_nothing_changed(self):
        self.assertEqual(self.hold.state, "authorized")
        self.assertEqual(self.deposit.state, "held")
        self.assertFalse(self.deposit.activity_ids)
        self.assertFalse(self._events())

    def test_bad_signature_changes_nothing(self):
        payload, headers = self.fake_stripe.webhook(
            "payment_intent.canceled", self.intent, secret="whsec_not_stripe"
        )
        response = self._send(payload, headers)
        self.assertEqual(response.status_code, 403)
        self._assert_nothing_changed()

    def test_tampered_payload_changes_nothing(self):
        payload, headers = self.fake_stripe.webhook("payment_intent.canceled", self.intent)
        tampered = payload.replace('"object": "event"', '"object": "event", "x": 1')
        self.assertEqual(self._send(tampered, headers).status_code, 403)
        self._assert_nothing_changed()

    def test_old_event_changes_nothing(self):
        payload, headers = self.fake_stripe.webhook(
            "payment_intent.canceled", self.intent, timestamp=time.time() - 3600
        )
        self.assertEqual(self._send(payload, headers).status_code, 403)
        self._assert_nothing_changed()

    def test_event_without_webhook_secret_is_refused(self):
        """Without a webhook secret nothing can be verified: refused, not processed."""
        self.stripe_provider.stripe_webhook_secret = False
        payload, headers = self.fake_stripe.webhook("payment_intent.canceled", self.intent)
        with mute_logger("odoo.addons.carshare_payment_stripe.controllers.main"):
            response = self._send(payload, headers)
        self.assertEqual(response.status_code, 403)
        self._assert_nothing_changed()

    def _send_refused(self, payload, headers, status):
        """Send, expecting ``status``, one warning of the controller and no traceback."""
        controller = "odoo.addons.carshare_payment_stripe.controllers.main"
        with self.assertLogs(controller, "WARNING") as logs, self.assertNoLogs("odoo", "ERROR"):
            response = self._send(payload, headers)
        self.assertEqual(response.status_code, status)
        self.assertTrue(all(record.levelname == "WARNING" for record in logs.records))
        self.assertFalse(any(record.exc_info for record in logs.records))
        self._assert_nothing_changed()

    def test_unsigned_or_malformed_events_refused(self):
        """Issue 13: an unsigned event gave a 500 and a traceback; malformed ones are 400."""
        payload, headers = self.fake_stripe.webhook("payment_intent.canceled", self.intent)
        json_only = {"Content-Type": "application/json"}
        cases = [
            (payload, json_only),
            (payload, {**json_only, "Stripe-Signature": "garbage"}),
            (payload, {**json_only, "Stripe-Signature": "t=1,v1=a=b"}),
            (payload, {**json_only, "Stripe-Signature": "t=now,v1=abc"}),
            ("{not json", headers),
            ('["a list"]', headers),
            ('{"type": "payment_intent.canceled"}', headers),
        ]
        for body, sent_headers in cases:
            with self.subTest(body=body[:20], headers=sent_headers):
                self._send_refused(body, sent_headers, 400)
