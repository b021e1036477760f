from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.carshare_billing.tests.common import FRIDAY_9H, CarshareBillingCase

from .fake_stripe import FakeStripeMixin
from .test_stripe_payment import invoice_locked_by_another_run

STRIPE_LOGGERS = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)
DEPOSIT_LOGGER = "odoo.addons.carshare_payment.models.carshare_deposit"


@tagged("post_install", "-at_install")
class TestDeposit(FakeStripeMixin, CarshareBillingCase):
    """The community's deposit (150.00) is held on the driver's card at confirmation, released
    7 days after the return, or partly captured by a manager to pay an invoice."""

    def _held(self, behaviour="ok"):
        self.card = self.stripe_token(self.alice, behaviour)
        booking = self._book(FRIDAY_9H, 2)
        return booking, booking.carshare_deposit_ids

    def test_nobody_writes_a_deposits_state(self):
        """A held deposit of 150.00 changes only through its actions: neither an accountant nor
        a manager marks it released or captured by writing it over RPC, nor creates one held."""
        booking, deposit = self._held()
        self.assertEqual(deposit.state, "held")
        users = [
            new_test_user(self.env, login, groups=group, company_id=self.company.id)
            for login, group in (
                ("cs_dep_accountant", "carshare_billing.group_carshare_accountant"),
                ("cs_dep_manager", "carshare_fleet.group_carshare_manager"),
            )
        ]
        for user in users:
            for values in ({"state": "released"}, {"amount": 1.0}, {"release_due_at": FRIDAY_9H}):
                with self.assertRaises(AccessError):
                    deposit.with_user(user).write(values)
        with self.assertRaises(AccessError):
            self.env["carshare.deposit"].with_user(users[1]).create(
                {
                    "booking_id": booking.id,
                    "partner_id": self.alice.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "amount": 150.0,
                    "state": "held",
                }
            )
        self.assertRecordValues(deposit, [{"state": "held", "amount": 150.0}])

    def _intent(self, deposit):
        return self.fake_stripe.get(deposit.hold_transaction_id.provider_reference)

    def _cron(self, moment):
        with freeze_time(moment), mute_logger(*STRIPE_LOGGERS):
            self.env["carshare.deposit"]._cron_carshare_deposits()

    def _damage_invoice(self, amount=100.0, partner=None):
        """A posted invoice of ``amount``, taxes included."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.alice).id,
                "invoice_date": "2025-01-10",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Damage", "price_unit": amount, "tax_ids": [Command.clear()]}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _assert_unchanged(self, deposit, state, intent_status):
        self.assertEqual(deposit.state, state)
        self.assertEqual(self._intent(deposit)["status"], intent_status)

    # -- hold ------------------------------------------------------------------------------------

    def test_hold_placed_at_confirmation(self):
        booking, deposit = self._held()
        self.assertEqual(len(deposit), 1)
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.partner_id, self.alice)
        self.assertAlmostEqual(deposit.amount, 150.0)
        intent = self._intent(deposit)
        self.assertEqual(intent["status"], "requires_capture")
        self.assertEqual(intent["capture_method"], "manual")
        self.assertEqual(intent["amount"], 15000)
        self.assertTrue(intent["off_session"])
        self.assertEqual(deposit.hold_transaction_id.state, "authorized")
        confirmed_at = FRIDAY_9H - timedelta(days=2)
        self.assertEqual(deposit.hold_placed_at, confirmed_at)
        self.assertEqual(deposit.hold_expires_at, confirmed_at + timedelta(days=6))
        self.assertEqual(booking.carshare_deposit_count, 1)

    def test_deposit_amount_is_the_community_setting(self):
        self.community.deposit_amount = 300.0
        _booking, deposit = self._held()
        self.assertEqual(self._intent(deposit)["amount"], 30000)

    def test_no_card_asks_the_driver_for_one(self):
        booking = self._book(FRIDAY_9H, 2)
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "to_register")
        self.assertFalse(self.fake_stripe.payment_intents())
        message = booking.message_ids.filtered(lambda m: "/my/payment_method" in str(m.body))
        self.assertIn(self.alice, message.partner_ids)
        # Once the driver registers a card, the cron holds the deposit.
        self.stripe_token(self.alice)
        self._cron(FRIDAY_9H - timedelta(days=1))
        self.assertEqual(deposit.state, "held")

    def test_refused_hold_fails_but_keeps_the_booking(self):
        booking, deposit = self._held("card_declined")
        self.assertEqual(booking.state, "confirmed")
        self.assertEqual(deposit.state, "failed")
        self.assertIn("Your card was declined.", deposit.failure_reason)

    def test_unreachable_stripe_fails_the_hold_not_the_booking(self):
        self.stripe_token(self.alice)
        down = ValidationError("Stripe: Could not establish the connection to the API.")
        with patch.object(type(self.stripe_provider), "_stripe_make_request", side_effect=down):
            booking = self._book(FRIDAY_9H, 2)
        self.assertEqual(booking.state, "confirmed")
        deposit = booking.carshare_deposit_ids
        self.assertEqual(deposit.state, "failed")
        self.assertIn("Could not establish the connection", deposit.failure_reason)
        self.assertFalse(deposit.transaction_ids)

    def test_no_deposit_for_professional_use(self):
        self.stripe_token(self.bob)
        booking = self._book(FRIDAY_9H, 2, driver=self.bob, usage="pro")
        self.assertFalse(booking.carshare_deposit_ids)

    # -- release ---------------------------------------------------------------------------------

    def test_released_seven_days_after_the_return(self):
        booking, deposit = self._held()
        self._drive(booking)
        self.assertEqual(deposit.release_due_at, booking.date_return + timedelta(days=7))
        with freeze_time(deposit.release_due_at - timedelta(days=2)):
            # Still held: the renewal keeps the hold alive until its release.
            self.env["carshare.deposit"]._cron_carshare_deposits()
        self.assertEqual(deposit.state, "held")
        self._cron(deposit.release_due_at)
        self.assertEqual(deposit.state, "released")
        self.assertEqual(self._intent(deposit)["status"], "canceled")
        self.assertEqual(deposit.hold_transaction_id.state, "cancel")
        self.assertIn("released", booking.message_ids[0].body)
        self.assertFalse(deposit.transaction_ids.payment_id)

    def test_cancelled_booking_releases_at_once(self):
        booking, deposit = self._held()
        with freeze_time(FRIDAY_9H - timedelta(days=1)), mute_logger(*STRIPE_LOGGERS):
            booking.action_cancel()
        self.assertEqual(deposit.state, "released")
        self.assertEqual(self._intent(deposit)["status"], "canceled")

    def test_release_after_release_is_refused(self):
        _booking, deposit = self._held()
        deposit.action_release()
        requests = len(self.fake_stripe.requests)
        with self.assertRaisesRegex(UserError, "already released"):
            deposit.action_release()
        with self.assertRaisesRegex(UserError, "already released"):
            deposit.action_capture(10.0, self._damage_invoice(), "damage")
        self.assertEqual(len(self.fake_stripe.requests), requests)
        self._assert_unchanged(deposit, "released", "canceled")

    # -- capture ---------------------------------------------------------------------------------

    def test_partial_capture_pays_the_invoice_and_releases_the_rest(self):
        """100.00 of damage captured from the 150.00 hold: a payment of 100.00 reconciled with
        the invoice, Stripe keeps 100.00 and releases 50.00."""
        booking, deposit = self._held()
        self._drive(booking)
        invoice = self._damage_invoice(100.0)
        capture = deposit.action_capture(100.0, invoice, "damage")
        intent = self._intent(deposit)
        self.assertEqual(intent["status"], "succeeded")
        self.assertEqual(intent["amount_received"], 10000)
        self.assertEqual(intent["charges"]["data"][0]["amount_refunded"], 5000)
        self.assertEqual(deposit.state, "captured")
        self.assertAlmostEqual(deposit.captured_amount, 100.0)
        self.assertEqual((capture.reason, capture.move_id), ("damage", invoice))
        payment = capture.payment_id
        self.assertAlmostEqual(payment.amount, 100.0)
        self.assertEqual(payment.partner_id, self.alice)
        self.assertEqual(payment.journal_id, self.stripe_provider.journal_id)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        hold = deposit.hold_transaction_id
        self.assertEqual(hold.state, "done")
        self.assertFalse(hold.payment_id)
        released = hold.child_transaction_ids.filtered(lambda tx: tx.state == "cancel")
        self.assertAlmostEqual(released.amount, 50.0)
        self.assertIn("50.00", booking.message_ids[0].body)
        # Nothing is left to release.
        self._cron(deposit.release_due_at)
        self.assertEqual(deposit.state, "captured")

    def test_partial_capture_links_only_the_captured_part_to_the_invoice(self):
        """100.00 of a 150.00 hold towards a 200.00 invoice: the invoice shows 100.00 paid,
        neither the 150.00 hold nor the 50.00 released."""
        _booking, deposit = self._held()
        invoice = self._damage_invoice(200.0)
        capture = deposit.action_capture(100.0, invoice, "damage")
        self.assertEqual(invoice.transaction_ids, capture.transaction_id)
        self.assertAlmostEqual(invoice.amount_paid, 100.0)
        self.assertAlmostEqual(invoice.amount_residual, 100.0)
        self.assertFalse(deposit.hold_transaction_id.invoice_ids)

    def test_local_failure_after_the_capture_keeps_it(self):
        """Stripe captured, then Odoo's post-processing failed: not "Stripe refused", the
        deposit is captured and payment's cron makes the payment."""
        _booking, deposit = self._held()
        invoice = self._damage_invoice(100.0)
        Tx = type(self.env["payment.transaction"])
        failure = ValidationError("local failure")
        with patch.object(Tx, "_post_process", side_effect=failure), mute_logger(DEPOSIT_LOGGER):
            capture = deposit.action_capture(100.0, invoice, "damage")
        self.assertEqual(self._intent(deposit)["status"], "succeeded")
        self.assertEqual(deposit.state, "captured")
        tx = capture.transaction_id
        self.assertEqual((tx.state, tx.is_post_processed), ("done", False))
        self.assertEqual(invoice.payment_state, "not_paid")
        # What payment.cron_post_process_payment_tx does (it commits: not from a test).
        (tx | deposit.hold_transaction_id).with_user(self.env.ref("base.user_root"))._post_process()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    def test_capture_refused_while_a_card_charge_is_in_progress(self):
        _booking, deposit = self._held()
        invoice = self._damage_invoice(100.0)
        self.env["payment.transaction"].sudo().create(
            {
                "provider_id": self.card.provider_id.id,
                "payment_method_id": self.card.payment_method_id.id,
                "token_id": self.card.id,
                "operation": "offline",
                "amount": 100.0,
                "currency_id": invoice.currency_id.id,
                "partner_id": self.alice.id,
                "invoice_ids": [Command.set(invoice.ids)],
                "state": "pending",
            }
        )
        with self.assertRaisesRegex(UserError, "in progress"):
            deposit.action_capture(100.0, invoice, "damage")
        self._assert_unchanged(deposit, "held", "requires_capture")

    def test_capture_refused_while_the_invoice_is_locked(self):
        """A card charge holds the invoice's row (a real second connection): refused at once."""
        _booking, deposit = self._held()
        invoice = invoice_locked_by_another_run(self)
        with self.assertRaisesRegex(UserError, "being paid"), mute_logger("odoo.sql_db"):
            deposit.action_capture(10.0, invoice, "damage")
        self._assert_unchanged(deposit, "held", "requires_capture")

    def test_capture_wizard_proposes_what_can_be_taken(self):
        """The manager's wizard proposes the smaller of the hold and what the invoice owes."""
        _booking, deposit = self._held()
        small, large = self._damage_invoice(80.0), self._damage_invoice(1080.0)
        Wizard = self.env["carshare.deposit.capture.wizard"].with_context(
            default_deposit_id=deposit.id
        )
        with Form(Wizard) as wizard:
            wizard.move_id = small
            self.assertAlmostEqual(wizard.amount, 80.0)
            wizard.move_id = large
            self.assertAlmostEqual(wizard.amount, 150.0)
        wizard.record.action_capture()
        self.assertEqual(deposit.state, "captured")
        self.assertEqual(deposit.capture_ids.move_id, large)
        self.assertEqual(deposit.capture_ids.reason, "damage")
        self.assertAlmostEqual(large.amount_residual, 930.0)

    def test_full_capture_of_an_unpaid_invoice(self):
        booking, deposit = self._held()
        invoice = self._damage_invoice(150.0)
        capture = deposit.action_capture(150.0, invoice)
        self.assertEqual(capture.reason, "invoice")
        self.assertEqual(self._intent(deposit)["amount_received"], 15000)
        self.assertEqual(capture.transaction_id, deposit.hold_transaction_id)
        self.assertAlmostEqual(capture.payment_id.amount, 150.0)
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self.assertEqual(booking.carshare_deposit_ids.state, "captured")
        with self.assertRaisesRegex(UserError, "already captured"):
            deposit.action_release()

    def test_capture_above_the_hold_is_refused(self):
        _booking, deposit = self._held()
        invoice = self._damage_invoice(200.0)
        with self.assertRaisesRegex(UserError, "only 150.00"):
            deposit.action_capture(150.01, invoice, "damage")
        self._assert_unchanged(deposit, "held", "requires_capture")
        self.assertFalse(deposit.capture_ids)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_capture_above_what_the_invoice_owes_is_refused(self):
        _booking, deposit = self._held()
        with self.assertRaisesRegex(UserError, "still due"):
            deposit.action_capture(50.0, self._damage_invoice(40.0), "fine")
        self._assert_unchanged(deposit, "held", "requires_capture")

    def test_capture_of_another_drivers_invoice_is_refused(self):
        _booking, deposit = self._held()
        invoice = self._damage_invoice(20.0, partner=self.carol)
        with self.assertRaisesRegex(UserError, "posted invoice of its driver"):
            deposit.action_capture(20.0, invoice, "fine")
        self._assert_unchanged(deposit, "held", "requires_capture")

    def test_capture_after_capture_is_refused(self):
        _booking, deposit = self._held()
        deposit.action_capture(30.0, self._damage_invoice(30.0), "fine")
        with self.assertRaisesRegex(UserError, "already captured"):
            deposit.action_capture(30.0, self._damage_invoice(30.0), "fine")
        self.assertEqual(len(deposit.capture_ids), 1)
        self.assertEqual(self._intent(deposit)["amount_received"], 3000)

    def test_capture_on_an_expired_hold_is_refused(self):
        """Stripe dropped the hold after 7 days; Odoo has not heard of it yet."""
        _booking, deposit = self._held()
        self.fake_stripe.expire_holds(self._intent(deposit)["created"] + 8 * 86400)
        invoice = self._damage_invoice(50.0)
        with self.assertRaisesRegex(UserError, "expired"):
            deposit.action_capture(50.0, invoice, "damage")
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.hold_transaction_id.state, "authorized")
        self.assertFalse(deposit.capture_ids)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_users_cannot_capture_or_release(self):
        _booking, deposit = self._held()
        user = new_test_user(
            self.env,
            "carshare_agent",
            groups="carshare_fleet.group_carshare_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        as_user = deposit.with_user(user)
        self.assertEqual(as_user.state, "held")
        with self.assertRaises(AccessError):
            as_user.action_capture(10.0, self._damage_invoice(10.0), "fine")
        with self.assertRaises(AccessError):
            as_user.action_release()
        self._assert_unchanged(deposit, "held", "requires_capture")

    # -- expiry ----------------------------------------------------------------------------------

    def test_hold_renewed_before_it_expires(self):
        """A booking 10 days ahead: after 6 days a new hold replaces the old one."""
        self.stripe_token(self.alice)
        booking = self._book(FRIDAY_9H + timedelta(days=8), 2)
        deposit = booking.carshare_deposit_ids
        old = deposit.hold_transaction_id
        self._cron(deposit.hold_expires_at - timedelta(minutes=1))
        self.assertEqual(deposit.hold_transaction_id, old)
        renewal = deposit.hold_expires_at
        self._cron(renewal)
        self.assertNotEqual(deposit.hold_transaction_id, old)
        self.assertEqual(deposit.state, "held")
        self.assertEqual(self.fake_stripe.get(old.provider_reference)["status"], "canceled")
        self.assertEqual(self._intent(deposit)["status"], "requires_capture")
        self.assertEqual(deposit.hold_expires_at, renewal + timedelta(days=6))

    def test_failed_renewal_alerts_the_manager_then_expires(self):
        self.stripe_token(self.alice)
        booking = self._book(FRIDAY_9H + timedelta(days=8), 2)
        deposit = booking.carshare_deposit_ids
        old = deposit.hold_transaction_id
        self.fake_stripe.set_card_behaviour(old.token_id.stripe_payment_method, "expired_card")
        self._cron(deposit.hold_expires_at)
        self.assertTrue(deposit.hold_renewal_failed)
        self.assertEqual(deposit.hold_transaction_id, old)
        self.assertEqual(deposit.state, "held")
        self.assertEqual(deposit.activity_ids.user_id, booking.user_id)
        self.assertIn("could not be renewed", deposit.activity_ids.note)
        # Stripe drops the old hold after 7 days: the cron notices.
        created = self._intent(deposit)["created"]
        self.fake_stripe.expire_holds(created + 7 * 86400 + 1)
        self._cron(deposit.hold_expires_at + timedelta(days=1, minutes=1))
        self.assertEqual(deposit.state, "expired")
        self.assertEqual(old.state, "cancel")
        with self.assertRaisesRegex(UserError, "expired"):
            deposit.action_release()

    def test_cron_goes_on_after_a_failing_deposit(self):
        """Stripe does not know the first hold: that deposit is noted for the manager, the
        second one is released all the same."""
        _booking, first = self._held()
        second = self._book(FRIDAY_9H + timedelta(days=1), 2).carshare_deposit_ids
        (first | second).sudo().write({"release_due_at": FRIDAY_9H})
        first.hold_transaction_id.provider_reference = "pi_unknown"
        with mute_logger(DEPOSIT_LOGGER, "odoo.addons.payment_stripe.models.payment_provider"):
            self._cron(FRIDAY_9H + timedelta(hours=1))
        self.assertEqual(second.state, "released")
        self.assertEqual(self._intent(second)["status"], "canceled")
        self.assertEqual(first.state, "held")
        self.assertIn("failed", first.activity_ids.note)
        self.assertIn("pi_unknown", first.message_ids[0].body)

    def test_release_of_a_hold_stripe_already_dropped(self):
        _booking, deposit = self._held()
        self.fake_stripe.expire_holds(self._intent(deposit)["created"] + 8 * 86400)
        deposit.sudo().release_due_at = FRIDAY_9H
        self._cron(FRIDAY_9H + timedelta(hours=1))
        self.assertEqual(deposit.state, "released")
        self.assertEqual(deposit.hold_transaction_id.state, "cancel")
        self.assertFalse(deposit.activity_ids)

    def test_failed_void_of_the_old_hold_keeps_the_new_one(self):
        """The renewal's new hold is recorded even if Stripe cannot cancel the old one."""
        self.stripe_token(self.alice)
        deposit = self._book(FRIDAY_9H + timedelta(days=8), 2).carshare_deposit_ids
        old = deposit.hold_transaction_id
        Tx = type(self.env["payment.transaction"])
        down = ValidationError("Stripe: Could not establish the connection to the API.")
        with patch.object(Tx, "_send_void_request", side_effect=down), mute_logger(DEPOSIT_LOGGER):
            self._cron(deposit.hold_expires_at)
        new = deposit.hold_transaction_id
        self.assertNotEqual(new, old)
        self.assertEqual(self._intent(deposit)["status"], "requires_capture")
        self.assertEqual(self.fake_stripe.get(old.provider_reference)["status"], "requires_capture")
        self.assertIn("could not be cancelled", deposit.activity_ids.note)
        self.assertIn(f"DEP{deposit.id}-2", new.reference)
