from datetime import timedelta
from unittest.mock import patch

import requests
from freezegun import freeze_time

from odoo import sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

from .fake_stripe import FakeStripe, FakeStripeMixin

STRIPE_LOGGERS = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)
CHARGE_LOGGER = "odoo.addons.carshare_payment.models.account_move"


def invoice_locked_by_another_run(test):
    """A posted customer invoice committed before the test, whose row another connection (as
    another run of the cron would) holds ``FOR UPDATE`` until the end of the test. The test's
    own rows are not committed, so only a committed one can be locked from outside."""
    other = sql_db.db_connect(test.env.cr.dbname).cursor()
    test.addCleanup(other.close)
    test.addCleanup(other.rollback)
    other.execute(
        "SELECT id FROM account_move WHERE state = 'posted' AND move_type = 'out_invoice' "
        "AND payment_state = 'not_paid' ORDER BY id LIMIT 1 FOR UPDATE"
    )
    row = other.fetchone()
    if not row:
        test.skipTest("needs a posted customer invoice committed in the database")
    # Without the lock's NOWAIT / SKIP LOCKED, the test fails instead of waiting forever.
    test.env.cr.execute("SET LOCAL lock_timeout = '5s'")
    return test.env["account.move"].browse(row[0])


@tagged("post_install", "-at_install")
class TestFakeStripe(TransactionCase):
    """The fake answers like Stripe at its HTTP boundary (over real HTTP)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeStripe("sk_test_fake", "whsec_fake").start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        super().setUp()
        self.fake.reset()

    def _post(self, path, data=None, key="sk_test_fake", idempotency_key=None):
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return requests.post(f"{self.fake.url}/v1/{path}", data=data, headers=headers, timeout=10)

    def _hold(self, amount=15000):
        customer = self.fake.add_customer()
        card = self.fake.add_card(customer)
        return self._post(
            "payment_intents",
            {
                "amount": amount,
                "currency": "eur",
                "customer": customer,
                "payment_method": card,
                "confirm": True,
                "off_session": True,
                "capture_method": "manual",
            },
        ).json()

    def test_wrong_key_is_refused(self):
        response = self._post("customers", {"name": "X"}, key="sk_test_wrong")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"]["type"], "invalid_request_error")

    def test_partial_capture_releases_the_rest(self):
        """1.50 EUR hold, 0.80 captured: the fee is 1.5 % + 0.25 of what was captured."""
        intent = self._hold(150)
        self.assertEqual(intent["status"], "requires_capture")
        captured = self._post(
            f"payment_intents/{intent['id']}/capture", {"amount_to_capture": 80}
        ).json()
        self.assertEqual(captured["status"], "succeeded")
        self.assertEqual(captured["amount_received"], 80)
        charge = captured["charges"]["data"][0]
        self.assertEqual(charge["amount_refunded"], 70)
        balance = self.fake.get(charge["balance_transaction"])
        self.assertEqual(balance["fee"], 1 + 25)
        self.assertEqual(balance["net"], 80 - 26)

    def test_capture_above_the_hold_is_refused(self):
        intent = self._hold(15000)
        response = self._post(
            f"payment_intents/{intent['id']}/capture", {"amount_to_capture": 15001}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], "amount_too_large")
        self.assertEqual(self.fake.get(intent["id"])["status"], "requires_capture")

    def test_capture_after_cancel_is_refused(self):
        intent = self._hold()
        self._post(f"payment_intents/{intent['id']}/cancel")
        response = self._post(f"payment_intents/{intent['id']}/capture")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], "payment_intent_unexpected_state")

    def test_holds_expire_after_seven_days(self):
        intent = self._hold()
        created = self.fake.get(intent["id"])["created"]
        self.assertFalse(self.fake.expire_holds(created + 6 * 86400))
        expired = self.fake.expire_holds(created + 7 * 86400 + 1)
        self.assertEqual([i["id"] for i in expired], [intent["id"]])
        self.assertEqual(expired[0]["cancellation_reason"], "automatic")

    def test_declined_card_is_a_402_with_the_intent(self):
        customer = self.fake.add_customer()
        card = self.fake.add_card(customer, "card_declined")
        response = self._post(
            "payment_intents",
            {"amount": 800, "customer": customer, "payment_method": card, "confirm": True},
        )
        self.assertEqual(response.status_code, 402)
        error = response.json()["error"]
        self.assertEqual((error["type"], error["code"]), ("card_error", "card_declined"))
        self.assertEqual(error["payment_intent"]["status"], "requires_payment_method")

    def test_idempotency_key_charges_once(self):
        customer = self.fake.add_customer()
        card = self.fake.add_card(customer)
        data = {"amount": 800, "customer": customer, "payment_method": card, "confirm": True}
        first = self._post("payment_intents", data, idempotency_key="k1").json()
        again = self._post("payment_intents", data, idempotency_key="k1").json()
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(len(self.fake.payment_intents()), 1)

    def test_payout_lists_its_balance_transactions(self):
        intent = self._hold(10000)
        self._post(f"payment_intents/{intent['id']}/capture")
        payout = self.fake.create_payout()
        self.assertEqual(payout["amount"], 10000 - (150 + 25))
        response = self.fake.handle(
            "GET", "/v1/balance_transactions", {"payout": payout["id"]}, "Bearer sk_test_fake"
        )
        self.assertEqual(response[0], 200)
        self.assertEqual([t["fee"] for t in response[1]["data"]], [175])


@tagged("post_install", "-at_install")
class TestStripePayment(FakeStripeMixin, CarshareBillingCase):
    """Personal-use invoices are charged off-session to the driver's card 24 h after the end of
    the booking, through Odoo's payment flow, against the fake Stripe over HTTP."""

    def _charge_at(self, moment):
        with freeze_time(moment), mute_logger(*STRIPE_LOGGERS), self._committing_jobs():
            self.env["account.move"]._cron_carshare_charge_cards()

    def _invoice(self, behaviour="ok"):
        self.stripe_token(self.alice, behaviour)
        booking = self._trip(FRIDAY_9H, 2, km=35)
        return booking, booking.carshare_invoice_ids

    def _charges(self):
        return [i for i in self.fake_stripe.payment_intents() if i["capture_method"] == "automatic"]

    def test_invoice_due_a_day_after_the_return(self):
        booking, invoice = self._invoice()
        self.assertEqual(invoice.carshare_charge_due_at, booking.date_return + timedelta(hours=24))
        self._charge_at(invoice.carshare_charge_due_at - timedelta(minutes=1))
        self.assertFalse(self._charges())
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_charge_pays_and_reconciles_the_invoice(self):
        """8.00 charged off-session: an account.payment in the Stripe journal, reconciled."""
        _booking, invoice = self._invoice()
        self._charge_at(invoice.carshare_charge_due_at)
        (intent,) = self._charges()
        self.assertEqual(intent["status"], "succeeded")
        self.assertEqual(intent["amount"], 800)
        self.assertTrue(intent["off_session"])
        tx = invoice.transaction_ids
        self.assertEqual((tx.state, tx.operation), ("done", "offline"))
        self.assertEqual(tx.provider_reference, intent["id"])
        payment = tx.payment_id
        self.assertEqual(payment.state, "paid")
        self.assertAlmostEqual(payment.amount, 8.0)
        self.assertEqual(payment.journal_id, self.stripe_provider.journal_id)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self.assertIn(payment.move_id, invoice.line_ids.matched_credit_ids.credit_move_id.move_id)
        self.assertEqual(invoice.carshare_dunning_state, "none")

    def test_credit_note_refunded_to_the_card(self):
        """The 8.00 trip charged by card is refunded in full by a credit note: the cron
        refunds 800 cents of the same intent at Stripe, an outbound payment settles the
        credit note, and the booking owes nothing more."""
        booking, invoice = self._invoice()
        self._charge_at(invoice.carshare_charge_due_at)
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Car broke down", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        credit_note = invoice.reversal_move_ids
        credit_note.action_post()
        self.assertTrue(credit_note.carshare_refund_due)
        self._charge_at(invoice.carshare_charge_due_at + timedelta(days=1))
        (intent,) = self._charges()
        refunds = self.fake_stripe.objects[intent["latest_charge"]]["refunds"]["data"]
        self.assertEqual([r["amount"] for r in refunds], [800])
        refund = invoice.transaction_ids.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -8.0)
        self.assertEqual(refund.payment_id.payment_type, "outbound")
        self.assertAlmostEqual(credit_note.amount_residual, 0.0)
        self.assertFalse(credit_note.carshare_refund_due)
        self.assertEqual(booking.billing_state, "credited")
        self._charge_at(invoice.carshare_charge_due_at + timedelta(days=2))
        self.assertEqual(len(refunds), 1)

    def test_never_charged_twice(self):
        _booking, invoice = self._invoice()
        self._charge_at(invoice.carshare_charge_due_at)
        self._charge_at(invoice.carshare_charge_due_at + timedelta(days=5))
        self.assertFalse(invoice._carshare_charge_card())
        self.assertEqual(len(self._charges()), 1)
        self.assertEqual(len(invoice.transaction_ids), 1)

    def test_one_charge_at_a_time(self):
        """A charge still waiting for Stripe's answer blocks another one."""
        _booking, invoice = self._invoice()
        token = self.env["carshare.deposit"]._card_token(self.alice, self.company)
        self.env["payment.transaction"].sudo().create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "token_id": token.id,
                "operation": "offline",
                "amount": invoice.amount_residual,
                "currency_id": invoice.currency_id.id,
                "partner_id": self.alice.id,
                "invoice_ids": [(6, 0, invoice.ids)],
                "state": "pending",
            }
        )
        self._charge_at(invoice.carshare_charge_due_at)
        self.assertFalse(self._charges())

    def test_invoice_locked_by_another_run_is_skipped(self):
        """Another run holds the invoice's row (a real second connection): no charge."""
        invoice = invoice_locked_by_another_run(self)
        with mute_logger("odoo.sql_db"):
            self.assertFalse(invoice._carshare_charge_card())
        self.assertFalse(self.fake_stripe.requests)
        self.assertFalse(invoice.sudo().transaction_ids.filtered(lambda tx: tx.state == "draft"))

    def test_abandoned_portal_payment_does_not_block_the_charge(self):
        """The driver opened the payment link two hours ago and left: the card is charged."""
        _booking, invoice = self._invoice()
        due = invoice.carshare_charge_due_at
        token = self.env["carshare.deposit"]._card_token(self.alice, self.company)
        portal = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": token.provider_id.id,
                    "payment_method_id": token.payment_method_id.id,
                    "operation": "online_direct",
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.alice.id,
                    "invoice_ids": [(6, 0, invoice.ids)],
                }
            )
        )
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = %s WHERE id = %s",
            [due - timedelta(hours=2), portal.id],
        )
        portal.invalidate_recordset(["create_date"])
        self._charge_at(due)
        self.assertEqual(len(self._charges()), 1)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    def test_invoice_charged_at_once_when_the_provider_captures_manually(self):
        """Only deposits are holds: an invoice is charged even if Stripe captures manually."""
        self.stripe_provider.capture_manually = True
        _booking, invoice = self._invoice()
        self._charge_at(invoice.carshare_charge_due_at)
        (intent,) = self._charges()
        self.assertEqual(intent["status"], "succeeded")
        self.assertEqual(invoice.transaction_ids.state, "done")
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    def test_local_failure_after_the_charge_keeps_the_transaction(self):
        """Stripe charged, then Odoo's post-processing failed: the transaction stays, the
        invoice is not charged again and payment's cron finishes the payment."""
        _booking, invoice = self._invoice()
        due = invoice.carshare_charge_due_at
        Tx = type(self.env["payment.transaction"])
        broken = patch.object(Tx, "_post_process", side_effect=RuntimeError("local failure"))
        with broken, mute_logger(CHARGE_LOGGER):
            self._charge_at(due)
        tx = invoice.transaction_ids
        self.assertEqual((tx.state, tx.is_post_processed), ("done", False))
        self.assertEqual(len(self._charges()), 1)
        self.assertEqual(invoice.carshare_charge_attempts, 0)
        self.assertEqual(invoice.carshare_dunning_state, "none")
        self._charge_at(due + timedelta(days=3))
        self.assertEqual(len(self._charges()), 1)
        self.assertEqual(invoice.transaction_ids, tx)
        # What payment.cron_post_process_payment_tx does (it commits: not from a test).
        self.assertIn(tx, tx.search([("is_post_processed", "=", False)]))
        tx.with_user(self.env.ref("base.user_root"))._post_process()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    def test_one_failing_invoice_does_not_stop_the_others(self):
        _booking, first = self._invoice()
        second = self._trip(FRIDAY_9H + timedelta(days=1), 2, km=35).carshare_invoice_ids
        Tx = type(self.env["payment.transaction"])
        send = Tx._send_payment_request
        calls = []

        def flaky(tx):
            calls.append(tx)
            if len(calls) == 1:
                raise RuntimeError("local failure")
            return send(tx)

        with patch.object(Tx, "_send_payment_request", flaky), mute_logger(CHARGE_LOGGER):
            self._charge_at(second.carshare_charge_due_at)
        self.assertEqual(len(calls), 2)
        self.assertEqual(first.carshare_dunning_state, "failed")
        self.assertEqual(first.carshare_charge_attempts, 1)
        self.assertFalse(first.transaction_ids)
        self.assertIn(second.payment_state, ("in_payment", "paid"))
        self.assertEqual(len(self._charges()), 1)

    def _assert_dunning(self, invoice, reason):
        self.assertEqual(invoice.carshare_dunning_state, "failed")
        self.assertEqual(invoice.carshare_charge_attempts, 1)
        self.assertIn(reason, invoice.carshare_charge_error)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(invoice.transaction_ids.payment_id)
        mail = invoice.message_ids.filtered(lambda m: "card payment" in (m.subject or ""))
        self.assertEqual(len(mail), 1)
        self.assertIn(self.alice, mail.partner_ids)
        self.assertIn("access_token=", invoice._carshare_payment_link())
        self.assertIn(invoice._carshare_payment_link(), mail.body)

    def test_declined_card_starts_the_dunning(self):
        _booking, invoice = self._invoice("card_declined")
        due = invoice.carshare_charge_due_at
        self._charge_at(due)
        self._assert_dunning(invoice, "Your card was declined.")
        self.assertEqual(invoice.transaction_ids.state, "error")
        self.assertEqual(invoice.carshare_charge_due_at, due + timedelta(hours=72))

    def test_expired_card_starts_the_dunning(self):
        _booking, invoice = self._invoice("expired_card")
        self._charge_at(invoice.carshare_charge_due_at)
        self._assert_dunning(invoice, "Your card has expired.")

    def test_authentication_required_starts_the_dunning(self):
        _booking, invoice = self._invoice("authentication_required")
        self._charge_at(invoice.carshare_charge_due_at)
        self._assert_dunning(invoice, "requires authentication")
        (intent,) = self._charges()
        self.assertEqual(intent["status"], "requires_action")

    def test_no_card_starts_the_dunning(self):
        booking = self._trip(FRIDAY_9H, 2, km=35)
        invoice = booking.carshare_invoice_ids
        self._charge_at(invoice.carshare_charge_due_at)
        self._assert_dunning(invoice, "No card is registered.")

    def test_retry_succeeds_once_the_card_works(self):
        _booking, invoice = self._invoice("card_declined")
        self._charge_at(invoice.carshare_charge_due_at)
        retry = invoice.carshare_charge_due_at
        card = self.env["carshare.deposit"]._card_token(self.alice, self.company)
        self.fake_stripe.set_card_behaviour(card.stripe_payment_method, "ok")
        self._charge_at(retry - timedelta(minutes=1))
        self.assertEqual(invoice.payment_state, "not_paid")
        self._charge_at(retry)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertEqual(invoice.carshare_dunning_state, "none")
        self.assertEqual(invoice.carshare_charge_attempts, 1)

    def test_retries_stop_after_the_last_attempt(self):
        """Three failed attempts, then the accountant follows up: no more charges."""
        _booking, invoice = self._invoice("card_declined")
        for _attempt in range(3):
            self._charge_at(invoice.carshare_charge_due_at)
        self.assertEqual(invoice.carshare_dunning_state, "exhausted")
        self.assertEqual(invoice.carshare_charge_attempts, 3)
        self.assertFalse(invoice.carshare_charge_due_at)
        self._charge_at(FRIDAY_9H + timedelta(days=60))
        self.assertEqual(len(self._charges()), 3)

    def test_professional_use_is_not_charged_to_a_card(self):
        self.stripe_token(self.bob)
        booking = self._trip(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        invoices = self._month_end()
        self.assertTrue(invoices)
        self.assertFalse(invoices.filtered("carshare_charge_due_at"))
        self.assertFalse(booking.carshare_deposit_ids)

    def test_charge_delay_is_a_community_setting(self):
        self.community.charge_delay_hours = 48
        booking, invoice = self._invoice()
        self.assertEqual(invoice.carshare_charge_due_at, booking.date_return + timedelta(hours=48))
