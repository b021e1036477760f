"""A fake Stripe at its HTTP boundary, for the tests.

``FakeStripe`` is a real HTTP server (``http.server`` in a thread, on 127.0.0.1 and a random
port) answering like Stripe's API v1 for what the carsharing uses. Tests send
``payment_stripe``'s requests to it with ``FakeStripeMixin``, which patches ``requests.request``
as seen from ``odoo.addons.payment_stripe.models.payment_provider`` so that only the host changes:
paths, form-encoded payloads, the ``Authorization`` (secret key) and ``Idempotency-Key`` headers
go through as they would to Stripe.

Endpoints (amounts in cents, form-encoded bodies, JSON answers)::

    POST /v1/customers                          a customer ``cus_...``
    GET  /v1/customers/<id>/payment_methods     its cards
    GET  /v1/payment_methods/<id>               a card ``pm_...`` (type ``card``, brand, last4)
    POST /v1/setup_intents                      a SetupIntent, ``succeeded`` when confirmed
    POST /v1/payment_intents                    create; with ``confirm`` the card is charged:
                                                ``succeeded`` (capture_method automatic) or
                                                ``requires_capture`` (manual, a hold)
    GET  /v1/payment_intents/<id>
    POST /v1/payment_intents/<id>/capture       optional ``amount_to_capture``: the rest of the
                                                hold is released, as Stripe does
    POST /v1/payment_intents/<id>/cancel        releases a hold (``canceled``)
    POST /v1/refunds                            ``payment_intent`` and optional ``amount``
    GET  /v1/balance_transactions?payout=<id>   the charges (and refunds) paid out by a payout
    GET  /v1/payouts/<id>
    GET  /v1/payouts?status=paid                the payouts

Cards behave as their ``behaviour`` given to ``add_card``: ``ok``, ``card_declined``,
``expired_card`` (both HTTP 402 with Stripe's error shape, the PaymentIntent in
``requires_payment_method``) or ``authentication_required`` (HTTP 402, the PaymentIntent in
``requires_action``). Errors are ``{"error": {"type", "code", "message", ...}}``: 402 for card
errors, 400 for invalid requests (capture above the authorised amount, capture or cancel of a
PaymentIntent in the wrong status), 401 for a wrong secret key, 404 for unknown objects. A POST
repeated with the same ``Idempotency-Key`` answers the first response again without acting.

Every succeeded charge gets a balance transaction ``txn_...`` with Stripe's fee for European
cards, 1.5 % + 0.25 EUR (``fee`` and ``net`` in cents); refunds get a negative one without fee.
``create_payout()`` gathers the balance transactions not yet paid out into a payout ``po_...``
(``amount`` = sum of their ``net``). ``expire_holds()`` cancels (``cancellation_reason``
``automatic``) the holds older than ``HOLD_DAYS`` days, as Stripe does after 7 days.
``webhook(event_type, obj)`` builds a webhook event signed like Stripe (``Stripe-Signature:
t=...,v1=HMAC-SHA256(secret, "t.payload")``) and returns ``(payload, headers)``.
"""

import contextlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

import requests
import stripe

from odoo import Command

STRIPE_API = "https://api.stripe.com"
HOLD_DAYS = 7
FEE_PERCENT = 1.5
FEE_FIXED = 25  # cents

CARD_ERRORS = {
    "card_declined": ("Your card was declined.", "requires_payment_method", "generic_decline"),
    "expired_card": ("Your card has expired.", "requires_payment_method", "expired_card"),
    "authentication_required": (
        "Your card was declined. This transaction requires authentication.",
        "requires_action",
        "authentication_required",
    ),
}


class StripeError(Exception):
    def __init__(self, status, code, message, error_type="invalid_request_error", **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": error_type, "code": code, "message": message, **extra}}


class FakeStripe:
    """Stripe's state and API. Start with ``start()``, stop with ``stop()``."""

    def __init__(self, secret_key, webhook_secret):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.objects = {}  # id -> Stripe object (dict)
        self.idempotent = {}  # Idempotency-Key -> (status, body)
        self.requests = []  # (method, path, params) received, for assertions
        self.server = None
        self.thread = None

    def reset(self):
        """Forget every object, as a new Stripe account."""
        with self.lock:
            self.objects.clear()
            self.idempotent.clear()
            self.requests.clear()

    # -- server ----------------------------------------------------------------------------------

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def _answer(self, method):
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query))
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    params.update(parse_qsl(self.rfile.read(length).decode()))
                status, body = fake.handle(
                    method,
                    url.path,
                    params,
                    self.headers.get("Authorization", ""),
                    self.headers.get("Idempotency-Key"),
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    @contextlib.contextmanager
    def route_requests(self):
        """Send payment_stripe's requests to api.stripe.com to this server instead."""
        real_request = requests.request

        def request(method, url, **kwargs):
            if url.startswith(STRIPE_API):
                url = self.url + url[len(STRIPE_API) :]
            return real_request(method, url, **kwargs)

        with patch("odoo.addons.payment_stripe.models.payment_provider.requests.request", request):
            yield self

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, method, path, params, authorization, idempotency_key=None):
        with self.lock:
            self.requests.append((method, path, params))
            if authorization != f"Bearer {self.secret_key}":
                return 401, StripeError(401, None, "Invalid API Key provided.").body
            if method == "POST" and idempotency_key and idempotency_key in self.idempotent:
                return self.idempotent[idempotency_key]
            try:
                answer = 200, self._route(method, path.removeprefix("/v1/").strip("/"), params)
            except StripeError as error:
                answer = error.status, error.body
            if method == "POST" and idempotency_key:
                self.idempotent[idempotency_key] = answer
            return answer

    def _route(self, method, path, params):
        parts = path.split("/")
        routes = {
            ("POST", "customers"): self._create_customer,
            ("POST", "setup_intents"): self._create_setup_intent,
            ("POST", "payment_intents"): self._create_payment_intent,
            ("POST", "refunds"): self._create_refund,
            ("GET", "balance_transactions"): self._list_balance_transactions,
            ("GET", "payouts"): self._list_payouts,
        }
        if (method, path) in routes:
            return routes[(method, path)](params)
        if method == "GET" and len(parts) == 2:
            return self.get(parts[1], parts[0])
        if len(parts) == 3 and parts[0] == "customers" and parts[2] == "payment_methods":
            cards = [o for o in self.objects.values() if o.get("customer") == parts[1]]
            return self._list([c for c in cards if c["object"] == "payment_method"])
        if method == "POST" and len(parts) == 3 and parts[0] == "payment_intents":
            if parts[2] == "capture":
                return self._capture(parts[1], params)
            if parts[2] == "cancel":
                return self._cancel(parts[1], params.get("cancellation_reason"))
        raise StripeError(404, "resource_missing", f"Unrecognized request URL ({method}: {path})")

    def _new_id(self, prefix):
        return f"{prefix}_fake{next(self.ids):010d}"

    def _store(self, obj):
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id, kind=None):
        obj = self.objects.get(object_id)
        if not obj or (kind and obj["object"] != kind.rstrip("s")):
            raise StripeError(404, "resource_missing", f"No such {kind or 'object'}: '{object_id}'")
        return obj

    @staticmethod
    def _list(data):
        return {"object": "list", "data": data, "has_more": False}

    # -- customers and cards ---------------------------------------------------------------------

    def _create_customer(self, params):
        return self._store(
            {
                "id": self._new_id("cus"),
                "object": "customer",
                "name": params.get("name"),
                "email": params.get("email"),
                "description": params.get("description"),
                "created": int(time.time()),
                "livemode": False,
            }
        )

    def add_customer(self, name="Test"):
        with self.lock:
            return self._create_customer({"name": name})["id"]

    def add_card(self, customer_id, behaviour="ok", last4="4242", brand="visa"):
        """A card of the customer, charged as ``behaviour`` says (see the module)."""
        with self.lock:
            return self._store(
                {
                    "id": self._new_id("pm"),
                    "object": "payment_method",
                    "type": "card",
                    "customer": customer_id,
                    "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2030},
                    "behaviour": behaviour,
                    "livemode": False,
                }
            )["id"]

    def set_card_behaviour(self, pm_id, behaviour):
        with self.lock:
            self.objects[pm_id]["behaviour"] = behaviour

    def _public_card(self, pm_id):
        card = dict(self.get(pm_id, "payment_methods"))
        card.pop("behaviour")
        return card

    def _create_setup_intent(self, params):
        return self._store(
            {
                "id": self._new_id("seti"),
                "object": "setup_intent",
                "customer": params.get("customer"),
                "payment_method": params.get("payment_method"),
                "status": "succeeded"
                if params.get("confirm") == "True"
                else "requires_payment_method",
                "client_secret": "seti_secret_fake",
                "livemode": False,
            }
        )

    # -- payment intents -------------------------------------------------------------------------

    def _create_payment_intent(self, params):
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError) as error:
            raise StripeError(
                400, "parameter_missing", "Missing required param: amount."
            ) from error
        if amount < 50:
            raise StripeError(400, "amount_too_small", "Amount must be at least €0.50 eur")
        intent = self._store(
            {
                "id": self._new_id("pi"),
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "currency": params.get("currency", "eur"),
                "customer": params.get("customer"),
                "description": params.get("description"),
                "payment_method": params.get("payment_method"),
                "capture_method": params.get("capture_method", "automatic"),
                "off_session": params.get("off_session") == "True",
                "status": "requires_payment_method",
                "created": int(time.time()),
                "canceled_at": None,
                "cancellation_reason": None,
                "last_payment_error": None,
                "latest_charge": None,
                "charges": self._list([]),
                "client_secret": "pi_secret_fake",
                "livemode": False,
            }
        )
        if params.get("payment_method"):
            intent["status"] = "requires_confirmation"
        if params.get("confirm") == "True":
            self._confirm(intent)
        return self._render_intent(intent, "payment_method" in params.get("expand[]", ""))

    def _render_intent(self, intent, expand_payment_method=False):
        rendered = json.loads(json.dumps(intent))
        if expand_payment_method and intent["payment_method"]:
            rendered["payment_method"] = self._public_card(intent["payment_method"])
        return rendered

    def _confirm(self, intent):
        card = self.get(intent["payment_method"], "payment_methods")
        if card["customer"] != intent["customer"]:
            raise StripeError(
                400, "resource_missing", "The payment method does not belong to the customer."
            )
        if card["behaviour"] in CARD_ERRORS:
            message, status, decline_code = CARD_ERRORS[card["behaviour"]]
            error = {
                "type": "card_error",
                "code": card["behaviour"],
                "decline_code": decline_code,
                "message": message,
            }
            intent.update(status=status, last_payment_error=error)
            raise StripeError(
                402,
                card["behaviour"],
                message,
                error_type="card_error",
                decline_code=decline_code,
                payment_intent=self._render_intent(intent),
            )
        charge = self._store(
            {
                "id": self._new_id("ch"),
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": 0,
                "amount_refunded": 0,
                "captured": False,
                "payment_intent": intent["id"],
                "balance_transaction": None,
                "payment_method_details": {"type": "card", "card": {"mandate": None}},
                "refunds": self._list([]),
                "status": "succeeded",
                "description": intent["description"],
                "created": int(time.time()),
            }
        )
        intent["latest_charge"] = charge["id"]
        intent["charges"] = self._list([charge])
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
        else:
            self._settle(intent, intent["amount"])

    def _settle(self, intent, amount):
        """Capture ``amount`` of the intent's charge; the rest of a hold is released."""
        charge = self.objects[intent["latest_charge"]]
        charge.update(
            amount_captured=amount,
            amount_refunded=intent["amount"] - amount,
            captured=True,
            balance_transaction=self._balance_transaction(amount, "charge", charge["id"])["id"],
        )
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        intent["charges"] = self._list([charge])

    def _capture(self, intent_id, params):
        intent = self.get(intent_id, "payment_intents")
        if intent["status"] != "requires_capture":
            raise StripeError(
                400,
                "payment_intent_unexpected_state",
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be captured: requires_capture.",
                payment_intent=self._render_intent(intent),
            )
        amount = int(params.get("amount_to_capture") or intent["amount_capturable"])
        if amount > intent["amount_capturable"]:
            raise StripeError(
                400,
                "amount_too_large",
                f"The amount_to_capture ({amount}) is greater than the amount_capturable "
                f"({intent['amount_capturable']}) of this PaymentIntent.",
                param="amount_to_capture",
            )
        self._settle(intent, amount)
        return self._render_intent(intent)

    def _cancel(self, intent_id, reason=None):
        intent = self.get(intent_id, "payment_intents")
        if intent["status"] in ("succeeded", "canceled"):
            raise StripeError(
                400,
                "payment_intent_unexpected_state",
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: requires_payment_method, requires_capture, "
                f"requires_confirmation, requires_action, processing.",
                payment_intent=self._render_intent(intent),
            )
        intent.update(
            status="canceled",
            amount_capturable=0,
            canceled_at=int(time.time()),
            cancellation_reason=reason or "requested_by_customer",
        )
        return self._render_intent(intent)

    def expire_holds(self, now=None):
        """Cancel the holds placed more than ``HOLD_DAYS`` days before ``now`` (a timestamp),
        as Stripe does; return the expired PaymentIntents."""
        now = now or time.time()
        with self.lock:
            expired = [
                intent
                for intent in self.objects.values()
                if intent["object"] == "payment_intent"
                and intent["status"] == "requires_capture"
                and now - intent["created"] > HOLD_DAYS * 86400
            ]
            return [self._cancel(intent["id"], "automatic") for intent in expired]

    def payment_intents(self, status=None):
        """The PaymentIntents (as Stripe holds them), oldest first."""
        with self.lock:
            return [
                self._render_intent(o)
                for o in self.objects.values()
                if o["object"] == "payment_intent" and (not status or o["status"] == status)
            ]

    # -- refunds, balance and payouts ------------------------------------------------------------

    def _create_refund(self, params):
        intent = self.get(params.get("payment_intent"), "payment_intents")
        if intent["status"] != "succeeded":
            raise StripeError(400, "charge_not_captured", "This charge has not been captured.")
        charge = self.objects[intent["latest_charge"]]
        refunded = sum(r["amount"] for r in charge["refunds"]["data"])
        amount = int(params.get("amount") or intent["amount_received"] - refunded)
        if amount > intent["amount_received"] - refunded:
            raise StripeError(
                400,
                "amount_too_large",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({intent['amount_received'] - refunded})",
            )
        refund = self._store(
            {
                "id": self._new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": intent["id"],
                "currency": intent["currency"],
                "status": "succeeded",
            }
        )
        refund["balance_transaction"] = self._balance_transaction(-amount, "refund", refund["id"])[
            "id"
        ]
        charge["refunds"]["data"].append(refund)
        return refund

    @staticmethod
    def fee(amount):
        """Stripe's fee in cents for a charge of ``amount`` cents: 1.5 % + 0.25 EUR."""
        return round(amount * FEE_PERCENT / 100) + FEE_FIXED

    def _balance_transaction(self, amount, kind, source):
        fee = self.fee(amount) if kind == "charge" else 0
        return self._store(
            {
                "id": self._new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "fee": fee,
                "net": amount - fee,
                "currency": "eur",
                "type": kind,
                "source": source,
                "payout": None,
                "created": int(time.time()),
            }
        )

    def create_payout(self):
        """Pay out every balance transaction not paid out yet; return the payout."""
        with self.lock:
            pending = [
                o
                for o in self.objects.values()
                if o["object"] == "balance_transaction" and not o["payout"]
            ]
            payout = self._store(
                {
                    "id": self._new_id("po"),
                    "object": "payout",
                    "amount": sum(t["net"] for t in pending),
                    "currency": "eur",
                    "status": "paid",
                    "arrival_date": int(time.time()),
                    "created": int(time.time()),
                }
            )
            for transaction in pending:
                transaction["payout"] = payout["id"]
            return dict(payout)

    def _list_payouts(self, params):
        status = params.get("status")
        return self._list(
            [
                o
                for o in self.objects.values()
                if o["object"] == "payout" and (not status or o["status"] == status)
            ]
        )

    def _list_balance_transactions(self, params):
        payout = params.get("payout")
        return self._list(
            [
                {k: v for k, v in o.items() if k != "payout"} | {"payout": o["payout"]}
                for o in self.objects.values()
                if o["object"] == "balance_transaction" and (not payout or o["payout"] == payout)
            ]
        )

    # -- webhooks --------------------------------------------------------------------------------

    def webhook(self, event_type, obj, event_id=None, secret=None, timestamp=None):
        """A webhook event as Stripe sends it: ``(payload, headers)``, signed with the webhook
        secret (or ``secret``) at ``timestamp`` (now by default)."""
        with self.lock:
            event_id = event_id or self._new_id("evt")
        payload = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": event_type,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj},
            }
        )
        timestamp = int(timestamp or time.time())
        signature = stripe.WebhookSignature._compute_signature(
            f"{timestamp}.{payload}", secret or self.webhook_secret
        )
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        }
        return payload, headers


class FakeStripeMixin:
    """Test mixin: a fake Stripe server for the class, a Stripe provider of the test company in
    test mode routed to it, and ``cls.stripe_token(partner, behaviour)`` for drivers' cards.

    Use it before an Odoo test case: ``class TestX(FakeStripeMixin, CarshareBillingCase)``.
    Stripe is emptied before each test: create cards (``stripe_token``) in the tests.
    """

    stripe_secret_key = "sk_test_carshare_fake"
    stripe_webhook_secret = "whsec_carshare_fake"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_stripe = FakeStripe(cls.stripe_secret_key, cls.stripe_webhook_secret).start()
        cls.addClassCleanup(cls.fake_stripe.stop)
        routing = cls.fake_stripe.route_requests()
        routing.__enter__()
        cls.addClassCleanup(routing.__exit__, None, None, None)
        cls.stripe_provider = cls._carshare_stripe_provider()

    def setUp(self):
        super().setUp()
        self.fake_stripe.reset()

    @classmethod
    def _carshare_stripe_provider(cls):
        company = cls.env.company
        providers = cls.env["payment.provider"].sudo()
        provider = providers.search(
            [("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1
        ) or providers.search([("code", "=", "stripe")], limit=1).copy({"company_id": company.id})
        card = cls.env.ref("payment.payment_method_card").sudo()
        provider.write(
            {
                "state": "test",
                "stripe_secret_key": cls.stripe_secret_key,
                "stripe_publishable_key": "pk_test_carshare_fake",
                "stripe_webhook_secret": cls.stripe_webhook_secret,
                "payment_method_ids": [Command.set(card.ids)],
            }
        )
        card.active = True
        if not provider.journal_id:
            provider.journal_id = cls.env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
            )
        return provider

    @classmethod
    def stripe_token(cls, partner, behaviour="ok", last4="4242"):
        """A Stripe card of ``partner`` saved in Odoo, charged as ``behaviour`` says."""
        customer = cls.fake_stripe.add_customer(partner.name)
        payment_method = cls.fake_stripe.add_card(customer, behaviour, last4)
        return (
            cls.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": cls.stripe_provider.id,
                    "payment_method_id": cls.env.ref("payment.payment_method_card").id,
                    "partner_id": partner.id,
                    "payment_details": last4,
                    "provider_ref": customer,
                    "stripe_payment_method": payment_method,
                }
            )
        )
