import logging
from datetime import timedelta

import psycopg2.errors

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_amount

from odoo.addons.carshare_fleet.access import action_write, check_action_fields
from odoo.addons.carshare_fleet.cron import commit

MANAGER_GROUP = "carshare_fleet.group_carshare_manager"
ACCOUNTANT_GROUP = "carshare_billing.group_carshare_accountant"

_logger = logging.getLogger(__name__)

# What the deposit's own flow decides (hold, capture, release, renewal): never written by hand.
ACTION_FIELDS = [
    "booking_id",
    "partner_id",
    "company_id",
    "currency_id",
    "amount",
    "state",
    "failure_reason",
    "hold_transaction_id",
    "hold_placed_at",
    "hold_expires_at",
    "hold_renewal_failed",
    "release_due_at",
    "released_at",
]


class CarshareDeposit(models.Model):
    _name = "carshare.deposit"
    _description = "Carsharing Deposit"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    booking_id = fields.Many2one(
        "carshare.booking",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one("res.partner", string="Driver", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        required=True, readonly=True, help="Held on the driver's card: the community's deposit."
    )
    captured_amount = fields.Monetary(compute="_compute_captured_amount", store=True)
    state = fields.Selection(
        [
            ("to_register", "Card to Register"),
            ("held", "Held"),
            ("captured", "Captured"),
            ("released", "Released"),
            ("expired", "Expired"),
            ("failed", "Failed"),
        ],
        required=True,
        default="to_register",
        readonly=True,
        index=True,
        tracking=True,
        help="Card to register: the driver has no card yet. Held: the amount is held on the "
        "card. Captured: part or all of it was taken, the rest released. Expired: the card's "
        "bank dropped the hold. Failed: the card refused the hold.",
    )
    failure_reason = fields.Char(readonly=True, tracking=True)
    transaction_ids = fields.One2many(
        "payment.transaction", "carshare_deposit_id", string="Transactions", readonly=True
    )
    hold_transaction_id = fields.Many2one(
        "payment.transaction", string="Current Hold", readonly=True, copy=False
    )
    hold_placed_at = fields.Datetime(readonly=True, copy=False)
    hold_expires_at = fields.Datetime(
        readonly=True, copy=False, help="The hold is renewed before this moment."
    )
    hold_renewal_failed = fields.Boolean(readonly=True, copy=False, tracking=True)
    release_due_at = fields.Datetime(
        readonly=True, copy=False, help="The hold is released automatically at this moment."
    )
    released_at = fields.Datetime(readonly=True, copy=False)
    capture_ids = fields.One2many(
        "carshare.deposit.capture", "deposit_id", string="Captures", readonly=True
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A deposit holds a positive amount."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_action_fields(self, vals, ["state", "hold_transaction_id"], create=True)
        return super().create(vals_list)

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        return super().write(vals)

    @api.depends("capture_ids.amount")
    def _compute_captured_amount(self):
        for deposit in self:
            deposit.captured_amount = sum(deposit.capture_ids.mapped("amount"))

    @api.depends("booking_id.name")
    def _compute_display_name(self):
        for deposit in self:
            deposit.display_name = self.env._(
                "Deposit %(booking)s", booking=deposit.booking_id.name
            )

    # -- card provider ---------------------------------------------------------------------------

    @api.model
    def _card_provider(self, company):
        """The company's card provider (see ``payment.provider._carshare_card_provider``)."""
        return self.env["payment.provider"]._carshare_card_provider(company)

    @api.model
    def _holds_cards(self, company):
        """Whether deposits are held on cards for the company."""
        provider = self._card_provider(company)
        return bool(provider) and provider._carshare_can_hold()

    @api.model
    def _card_token(self, partner, company):
        """The card the partner registered last with the company's card provider."""
        provider = self._card_provider(company)
        if not provider:
            return self.env["payment.token"]
        return (
            self.env["payment.token"]
            .sudo()
            .search(
                [("provider_id", "=", provider.id), ("partner_id", "=", partner.id)],
                order="id desc",
                limit=1,
            )
        )

    @api.model
    def _carshare_create_for(self, bookings):
        """Deposits of the personal bookings, held at once when the driver has a card."""
        deposits = self.sudo().create(
            [
                {
                    "booking_id": booking.id,
                    "partner_id": booking.partner_id.id,
                    "company_id": booking.company_id.id,
                    "currency_id": booking.company_id.currency_id.id,
                    "amount": booking.community_id.deposit_amount,
                }
                for booking in bookings
            ]
        )
        deposits._carshare_place_hold()
        return deposits

    def _carshare_place_hold(self):
        """Hold the deposit on the driver's card; without a card, ask the driver for one."""
        for deposit in self:
            token = self._card_token(deposit.partner_id, deposit.company_id)
            if not token:
                action_write(deposit, {"state": "to_register"})
                deposit._carshare_ask_for_card()
                continue
            tx, reason = deposit._carshare_hold(token)
            if tx:
                deposit._carshare_held_by(tx)
            else:
                action_write(deposit, {"state": "failed", "failure_reason": reason})
                deposit._carshare_tell_driver(
                    self.env._(
                        "Your card refused the deposit of %(amount)s for booking %(booking)s: "
                        "%(reason)s Please register another card in your account.",
                        amount=deposit._format(deposit.amount),
                        booking=deposit.booking_id.name,
                        reason=reason,
                    )
                )

    def _carshare_hold(self, token):
        """Ask Stripe for a hold (``capture_method=manual``) of the deposit on the card.
        Returns ``(transaction, False)`` once held, ``(no transaction, reason)`` otherwise."""
        try:
            with self.env.cr.savepoint():
                tx = self._carshare_hold_request(token)
        except (UserError, ValidationError) as error:  # e.g. Stripe cannot be reached
            return self.env["payment.transaction"], str(error)
        if tx.state != "authorized":
            return self.env["payment.transaction"], tx.state_message
        return tx, False

    def _carshare_hold_request(self, token):
        # The reference makes payment_stripe's idempotency key: one per deposit and attempt, so
        # that a hold retried after a rollback is the one Stripe already placed, not another.
        attempt = len(self.transaction_ids.filtered(lambda t: not t.source_transaction_id)) + 1
        Transaction = self.env["payment.transaction"]
        return Transaction._carshare_charge_token(
            token,
            self.amount,
            self.currency_id,
            self.partner_id,
            carshare_deposit_id=self.id,
            reference=Transaction._compute_reference(
                token.provider_id.code, prefix=f"{self.booking_id.name}-DEP{self.id}-{attempt}"
            ),
        )

    def _carshare_held_by(self, tx):
        now = fields.Datetime.now()
        action_write(
            self,
            {
                "state": "held",
                "hold_transaction_id": tx.id,
                "hold_placed_at": now,
                "hold_expires_at": now
                + timedelta(days=self.booking_id.community_id.deposit_hold_days),
                "hold_renewal_failed": False,
                "failure_reason": False,
            },
        )

    def _carshare_ask_for_card(self):
        url = f"{self.get_base_url()}/my/payment_method"
        self._carshare_tell_driver(
            self.env._(
                "A deposit of %(amount)s is held on your card for each booking. Register a card "
                "at %(url)s to secure booking %(booking)s.",
                amount=self._format(self.amount),
                url=url,
                booking=self.booking_id.name,
            )
        )

    def _carshare_tell_driver(self, body):
        self.booking_id.message_post(
            body=body,
            partner_ids=self.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            force_send=False,
        )

    def _format(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _hold_status(self):
        """The hold as the provider has it now: ``'held'``, ``'canceled'`` or ``'other'``."""
        tx = self.hold_transaction_id
        return tx.provider_id._carshare_hold_status(tx)

    # -- manager actions -------------------------------------------------------------------------

    def action_place_hold(self):
        """Managers: try the hold again, e.g. once the driver registered a new card."""
        self._carshare_check_group(MANAGER_GROUP)
        for deposit in self:
            if deposit.state not in ("to_register", "failed", "expired"):
                raise UserError(
                    self.env._(
                        "%(deposit)s is not waiting for a hold.", deposit=deposit.display_name
                    )
                )
        self.sudo()._carshare_place_hold()
        return True

    def action_release(self):
        """Managers: release the hold now."""
        self._carshare_check_group(MANAGER_GROUP)
        self.sudo()._carshare_release()
        return True

    def action_capture(self, amount, move, reason="invoice"):
        """Managers and accountants: take ``amount`` of the hold to pay ``move`` (a posted
        invoice of the driver); Stripe releases the rest of the hold. The money is a payment
        reconciled with the invoice. Returns the capture line."""
        self.ensure_one()
        self._carshare_check_group(f"{MANAGER_GROUP},{ACCOUNTANT_GROUP}")
        deposit = self.sudo()
        move = move.sudo()
        deposit._carshare_lock_invoice(move)
        deposit._carshare_check_capture(amount, move)
        return deposit._carshare_capture(amount, move, reason)

    def _carshare_lock_invoice(self, move):
        """Lock the invoice against a card charge paying it at the same moment, then read
        what it still owes again."""
        if not move:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM account_move WHERE id = %s FOR UPDATE NOWAIT", [move.id]
                )
        except psycopg2.errors.LockNotAvailable as error:
            raise UserError(
                self.env._(
                    "%(invoice)s is being paid at this very moment: try again in a minute.",
                    invoice=move.display_name,
                )
            ) from error
        move.invalidate_recordset(["state", "payment_state", "amount_residual"])

    def _carshare_check_group(self, groups):
        if not self.env.su and not self.env.user.has_groups(groups):
            raise AccessError(self.env._("You are not allowed to capture or release deposits."))

    def _carshare_check_capture(self, amount, move):
        currency = self.currency_id
        if self.state != "held":
            raise UserError(self._carshare_not_held_message())
        if float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0:
            raise UserError(self.env._("The amount to capture must be positive."))
        if float_compare(amount, self.amount, precision_rounding=currency.rounding) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s cannot be captured: only %(hold)s is held on the card.",
                    amount=self._format(amount),
                    hold=self._format(self.amount),
                )
            )
        if (
            not move
            or move.state != "posted"
            or move.move_type != "out_invoice"
            or move.company_id != self.company_id
            or move.commercial_partner_id != self.partner_id.commercial_partner_id
        ):
            raise UserError(
                self.env._(
                    "A deposit pays a posted invoice of its driver, %(driver)s.",
                    driver=self.partner_id.name,
                )
            )
        if move._carshare_charge_in_progress():
            raise UserError(
                self.env._(
                    "A card charge of %(invoice)s is in progress: capture the deposit once it is "
                    "over, if the invoice is still due.",
                    invoice=move.name,
                )
            )
        if float_compare(amount, move.amount_residual, precision_rounding=currency.rounding) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the %(residual)s still due on %(invoice)s.",
                    amount=self._format(amount),
                    residual=self._format(move.amount_residual),
                    invoice=move.name,
                )
            )
        if self._hold_status() != "held":
            raise UserError(
                self.env._(
                    "The hold of %(deposit)s has expired at the card's bank: nothing can be "
                    "captured any more.",
                    deposit=self.display_name,
                )
            )

    def _carshare_not_held_message(self):
        messages = {
            "to_register": self.env._("Nothing is held: the driver has not registered a card."),
            "failed": self.env._("Nothing is held: the card refused the hold."),
            "expired": self.env._("The hold has expired: nothing is held any more."),
            "released": self.env._("The deposit was already released."),
            "captured": self.env._(
                "The deposit was already captured and the rest of the hold released: nothing "
                "is held any more."
            ),
        }
        return self.env._(
            "%(deposit)s: %(reason)s", deposit=self.display_name, reason=messages[self.state]
        )

    def _carshare_capture(self, amount, move, reason):
        tx = self.hold_transaction_id
        tx.invoice_ids = [Command.link(move.id)]
        try:
            with self.env.cr.savepoint():
                child = tx._send_capture_request(amount_to_capture=amount)
        except ValidationError as error:  # Stripe refused: nothing happened.
            raise UserError(self._carshare_refused_message(error.args[0])) from error
        captured = child or tx
        if captured.state != "done":
            raise UserError(
                self._carshare_refused_message(
                    captured.state_message or self.env._("The capture failed.")
                )
            )
        self._carshare_release_rest(tx, child, amount)
        self._carshare_post_process_capture(tx | tx.child_transaction_ids)
        capture = self.env["carshare.deposit.capture"].create(
            {
                "deposit_id": self.id,
                "amount": amount,
                "reason": reason,
                "move_id": move.id,
                "transaction_id": captured.id,
            }
        )
        action_write(self, {"state": "captured", "released_at": fields.Datetime.now()})
        self.booking_id.message_post(
            body=self.env._(
                "%(amount)s of the deposit captured for %(reason)s (%(invoice)s); the remaining "
                "%(rest)s released on the driver's card.",
                amount=self._format(amount),
                reason=dict(capture._fields["reason"]._description_selection(self.env))[reason],
                invoice=move.name,
                rest=self._format(self.amount - amount),
            )
        )
        return capture

    def _carshare_release_rest(self, tx, child, amount):
        """Release what the capture left held; the capture stays made if the provider cannot."""
        try:
            with self.env.cr.savepoint():
                tx._carshare_void_rest_of_hold(child, amount)
        except Exception as error:  # the capture is made at the provider
            _logger.exception("deposit %s: the rest of the hold could not be released", self.id)
            self._carshare_alert_manager(
                self.env._(
                    "The rest of the card hold could not be released (%(error)s): release it "
                    "from the payment provider.",
                    error=error,
                )
            )

    def _carshare_refused_message(self, error):
        return self.env._(
            "Stripe refused to capture %(deposit)s: %(error)s",
            deposit=self.display_name,
            error=error,
        )

    def _carshare_post_process_capture(self, transactions):
        """Stripe has taken the money: a local failure here must not undo the capture;
        payment's cron ``payment.cron_post_process_payment_tx`` finishes the transactions."""
        try:
            with self.env.cr.savepoint():
                transactions._post_process()
        except Exception:  # the capture is made at Stripe
            _logger.exception(
                "post-processing of the capture of deposit %s failed; payment's cron will "
                "finish it",
                self.id,
            )

    def _carshare_release(self):
        for deposit in self:
            if deposit.state != "held":
                raise UserError(deposit._carshare_not_held_message())
            hold = deposit.hold_transaction_id.with_context(carshare_deposit_action=True)
            if deposit._hold_status() == "canceled":
                # Stripe already dropped the hold: nothing is held any more.
                hold._set_canceled(state_message=self.env._("Already cancelled at Stripe."))
            else:
                hold._send_void_request()
            action_write(deposit, {"state": "released", "released_at": fields.Datetime.now()})
            deposit.booking_id.message_post(
                body=self.env._(
                    "The deposit of %(amount)s was released on the driver's card.",
                    amount=deposit._format(deposit.amount),
                )
            )

    # -- booking events --------------------------------------------------------------------------

    def _carshare_booking_ended(self, state):
        """A cancelled booking frees its deposit at once; after a return or a no-show it is
        released after the community's delay."""
        now = fields.Datetime.now()
        for deposit in self.filtered(lambda d: d.state in ("to_register", "held", "failed")):
            if state == "cancelled":
                if deposit.state == "held":
                    deposit._carshare_release()
                else:
                    action_write(deposit, {"state": "released", "released_at": now})
            else:
                days = deposit.booking_id.community_id.deposit_release_days
                action_write(deposit, {"release_due_at": now + timedelta(days=days)})

    def _carshare_release_if_clean(self):
        """Release the holds of clean returns at once, without waiting for the release date
        (which stays the longest a hold is kept)."""
        clean = self.filtered(lambda d: d.state == "held" and d._carshare_return_is_clean())
        clean._carshare_release()
        for deposit in clean:
            deposit.message_post(
                body=self.env._(
                    "Released before the end of the period: the check-in is validated without a "
                    "damage held against the driver and the trip is paid."
                )
            )

    def _carshare_return_is_clean(self):
        """A validated check-in without a responsible damage, and nothing left to pay on the
        trip's invoices."""
        booking = self.sudo().booking_id
        checkins = booking.inspection_ids.filtered(lambda i: i.kind == "checkin")
        if booking.state != "done" or not checkins or any(i.state != "done" for i in checkins):
            return False
        if booking.carshare_damage_ids.filtered("responsible"):
            return False
        if booking.billing_state in ("estimated", "to_validate", "to_invoice"):
            return False
        invoices = booking.sale_order_id.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        return all(m.payment_state in ("paid", "in_payment", "reversed") for m in invoices)

    @api.model
    def _carshare_check_early_release(self, bookings):
        """Something that may make a return clean happened: let the deposits' cron look at the
        holds of these bookings soon."""
        if bookings.sudo().carshare_deposit_ids.filtered(lambda d: d.state == "held"):
            self.env.ref("carshare_payment.ir_cron_carshare_deposits").sudo()._trigger()

    def _carshare_hold_canceled(self, tx):
        """Stripe cancelled the hold without us asking: it expired."""
        action_write(self, {"state": "expired", "failure_reason": tx.state_message})
        self._carshare_alert_manager(
            self.env._("The card hold of this deposit expired at the driver's bank.")
        )

    def _carshare_alert_manager(self, note):
        for deposit in self.with_context(mail_notify_force_send=False):
            manager = deposit.booking_id.user_id or self.env.user
            deposit.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Deposit hold to check"),
                note=note,
                user_id=manager.id,
            )

    # -- crons -----------------------------------------------------------------------------------

    @api.model
    def _cron_carshare_deposits(self):
        """Hold the deposits of drivers who registered a card, release the deposits due,
        renew the holds about to expire and notice the holds Stripe let expire. Each deposit
        is handled apart and committed at once, so that one failure neither stops the others
        nor forgets what Stripe has done."""
        now = fields.Datetime.now()
        steps = [
            (
                [
                    ("state", "=", "to_register"),
                    ("booking_id.state", "in", ("confirmed", "ongoing")),
                ],
                "_carshare_place_hold_if_card",
            ),
            ([("state", "=", "held"), ("release_due_at", "<=", now)], "_carshare_release"),
            (
                [
                    ("state", "=", "held"),
                    ("release_due_at", "!=", False),
                    ("booking_id.state", "=", "done"),
                ],
                "_carshare_release_if_clean",
            ),
            (
                [
                    ("state", "=", "held"),
                    ("hold_expires_at", "<=", now),
                    ("hold_renewal_failed", "=", False),
                ],
                "_carshare_renew_hold",
            ),
            (
                [("state", "=", "held"), ("hold_renewal_failed", "=", True)],
                "_carshare_check_expiry",
            ),
        ]
        for domain, method in steps:
            for deposit in self.search(domain):
                deposit._carshare_cron_step(domain, method)
                commit(self.env)

    def _carshare_cron_step(self, domain, method):
        """Run ``method`` on the deposit if it still matches ``domain`` once locked; a deposit
        locked by another run is skipped."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM carshare_deposit WHERE id = %s FOR UPDATE SKIP LOCKED",
                    [self.id],
                )
                if not self.env.cr.fetchone():
                    return
                self.invalidate_recordset()
                if self.filtered_domain(domain):
                    getattr(self, method)()
        except Exception as error:  # one deposit must not stop the others
            _logger.exception("deposit %s: %s failed", self.id, method)
            self._carshare_cron_failed(error)

    def _carshare_cron_failed(self, error):
        note = self.env._("The automatic processing of this deposit failed: %(error)s", error=error)
        try:
            with self.env.cr.savepoint():
                self.message_post(body=note)
                if not self.activity_ids:
                    self._carshare_alert_manager(note)
        except Exception:  # already logged
            _logger.exception("deposit %s: the failure could not be noted", self.id)

    def _carshare_place_hold_if_card(self):
        self.filtered(lambda d: self._card_token(d.partner_id, d.company_id))._carshare_place_hold()

    def _carshare_renew_hold(self):
        """Place a new hold and record it, then cancel the old one; if the card refuses, keep
        the old one until it expires and tell the manager."""
        for deposit in self:
            old = deposit.hold_transaction_id
            tx, reason = deposit._carshare_hold(old.token_id)
            if tx:
                deposit._carshare_held_by(tx)
                deposit.message_post(body=self.env._("The card hold was renewed."))
                deposit._carshare_void_old_hold(old)
            else:
                action_write(deposit, {"hold_renewal_failed": True, "failure_reason": reason})
                deposit._carshare_alert_manager(
                    self.env._(
                        "The card hold could not be renewed (%(reason)s); it expires within a "
                        "day. Capture what is owed now, or ask the driver for another card.",
                        reason=reason,
                    )
                )

    def _carshare_void_old_hold(self, old):
        """Cancel the replaced hold; if Stripe cannot, the new hold stays recorded and the
        manager is told to release the old one."""
        try:
            with self.env.cr.savepoint():
                old.with_context(carshare_deposit_action=True)._send_void_request()
        except Exception as error:  # the new hold must stay recorded
            _logger.exception("deposit %s: the replaced hold could not be cancelled", self.id)
            self._carshare_alert_manager(
                self.env._(
                    "The card hold was renewed but the previous hold %(reference)s could not be "
                    "cancelled at Stripe (%(error)s): cancel it from Stripe's dashboard.",
                    reference=old.provider_reference,
                    error=error,
                )
            )

    def _carshare_check_expiry(self):
        for deposit in self:
            if deposit._hold_status() == "canceled":
                tx = deposit.hold_transaction_id
                tx.provider_id._carshare_sync_canceled_hold(tx)
