from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.carshare_fleet.access import (
    ACCOUNTANT_GROUP,
    MANAGER_GROUP,
    check_groups,
    check_view,
)
from odoo.addons.queue_job.job import identity_exact

CLOSED_STATES = ("done", "cancelled", "no_show")
# Changing these on an active booking changes its estimate.
ESTIMATE_FIELDS = {
    "date_start",
    "date_end",
    "vehicle_id",
    "expected_km",
    "carshare_insurance_buyback",
}
BILLING_GROUPS = "carshare_fleet.group_carshare_manager,carshare_billing.group_carshare_accountant"
BILLING_CHANNEL = "root.carshare.billing"


class CarshareBooking(models.Model):
    _inherit = "carshare.booking"

    sale_order_id = fields.Many2one(
        "sale.order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=BILLING_GROUPS,
        help="Priced at confirmation as a quotation, priced again and confirmed at the end.",
    )
    carshare_invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_carshare_invoice_ids",
        groups=BILLING_GROUPS,
    )
    carshare_invoice_count = fields.Integer(
        string="Invoice Count", compute="_compute_carshare_invoice_ids", groups=BILLING_GROUPS
    )
    billing_state = fields.Selection(
        string="Billing Status",
        selection=[
            ("none", "Not Billed"),
            ("estimated", "Estimated"),
            ("to_validate", "To Validate"),
            ("to_invoice", "To Invoice"),
            ("invoiced", "Invoiced"),
            ("credited", "Credited"),
            ("cancelled", "Nothing to Bill"),
        ],
        compute="_compute_billing_state",
        store=True,
        index=True,
        help="Not billed: the community has no tariff. Estimated: priced from the booked slot. "
        "To validate: ended, waiting for a manager. To invoice: waiting for the month-end "
        "billing (professional use). Credited: refunded by a credit note, nothing more is "
        "billed until a manager bills it again.",
    )
    billing_currency_id = fields.Many2one(related="company_id.currency_id")
    billing_amount = fields.Monetary(
        string="Price",
        related="sale_order_id.amount_total",
        currency_field="billing_currency_id",
        help="Taxes included: estimated until the vehicle is returned.",
    )
    billing_partner_id = fields.Many2one(
        "res.partner",
        string="Billed To",
        compute="_compute_billing_partner_id",
        help="The employer for professional use, the driver for personal use.",
    )
    carshare_insurance_buyback = fields.Boolean(
        string="Insurance Buy-Back",
        tracking=True,
        help="The driver buys back the excess of the insurance for this booking, per started "
        "day: a responsible damage then costs them no excess.",
    )
    carshare_damage_ids = fields.One2many(
        "carshare.damage", "carshare_booking_id", string="Damages", readonly=True
    )

    @api.constrains("carshare_insurance_buyback")
    def _check_carshare_insurance_buyback(self):
        for booking in self:
            if booking.state not in ("draft", "confirmed"):
                raise ValidationError(
                    self.env._(
                        "The insurance buy-back of the booking %(booking)s is chosen before the "
                        "trip starts: it can no longer be changed.",
                        booking=booking.name,
                    )
                )

    @api.depends("sale_order_id.invoice_ids")
    def _compute_carshare_invoice_ids(self):
        for booking in self:
            booking.carshare_invoice_ids = booking.sale_order_id.invoice_ids
            booking.carshare_invoice_count = len(booking.carshare_invoice_ids)

    @api.depends(
        "state",
        "sale_order_id.state",
        "sale_order_id.invoice_status",
        "sale_order_id.carshare_credited",
    )
    def _compute_billing_state(self):
        for booking in self:
            order = booking.sale_order_id
            if not order:
                booking.billing_state = "none"
            elif order.state == "cancel":
                booking.billing_state = "cancelled"
            elif order.state != "sale":
                closed = booking.state in CLOSED_STATES
                booking.billing_state = "to_validate" if closed else "estimated"
            elif order.carshare_credited:
                booking.billing_state = "credited"
            elif order.invoice_status == "to invoice":
                booking.billing_state = "to_invoice"
            else:
                booking.billing_state = "invoiced"

    @api.depends("usage", "employer_id", "partner_id")
    def _compute_billing_partner_id(self):
        for booking in self:
            booking.billing_partner_id = booking._carshare_payer()

    def _carshare_payer(self):
        return self.employer_id if self.usage == "pro" else self.partner_id

    # -- lifecycle -------------------------------------------------------------------------------

    def _on_booking_confirmed(self):
        result = super()._on_booking_confirmed()
        self._carshare_create_sale_orders()
        return result

    def _on_booking_returned(self):
        # super() first: the deposits get their release date before the trip is billed.
        result = super()._on_booking_returned()
        self._carshare_close_billing()
        return result

    def _on_booking_cancelled(self, previous_state):
        # The fee is billed before super() frees the deposits.
        self._carshare_close_billing()
        return super()._on_booking_cancelled(previous_state)

    def _on_booking_no_show(self):
        self._carshare_close_billing()
        return super()._on_booking_no_show()

    def write(self, vals):
        result = super().write(vals)
        if not ESTIMATE_FIELDS.isdisjoint(vals):
            self.filtered(lambda b: b.state in ("confirmed", "ongoing"))._carshare_update_estimate()
        return result

    def _carshare_create_sale_orders(self):
        # Sudo: whoever books (a driver in the portal, a desk agent without sales rights), the
        # orders and invoices are the billing's own.
        bookings = self.sudo().filtered(lambda b: b.community_id.tariff_id and not b.sale_order_id)
        for booking in bookings:
            orders = booking.env["sale.order"].with_company(booking.company_id)
            booking.sale_order_id = orders.create(booking._carshare_sale_order_values())
        bookings._carshare_price_orders()

    def _carshare_sale_order_values(self):
        return {
            "partner_id": self._carshare_payer().id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "origin": self.name,
            "client_order_ref": self._carshare_purchase_order_ref(),
            "carshare_booking_id": self.id,
            "carshare_community_id": self.community_id.id,
            "carshare_date": self.community_id.tariff_id._local_date(self.date_start),
            "require_signature": False,
            "require_payment": False,
        }

    def _carshare_purchase_order_ref(self):
        if self.usage != "pro":
            return False
        return self._membership().purchase_order_ref or self.employer_id.carshare_purchase_order_ref

    def _carshare_price_orders(self):
        """Make the bookings' orders match their current state."""
        for booking in self:
            order = booking.sale_order_id.with_company(booking.company_id)
            order._carshare_sync_lines(booking._carshare_billing_lines())

    def _carshare_update_estimate(self):
        self.sudo().filtered(lambda b: b.sale_order_id.state == "draft")._carshare_price_orders()

    def _carshare_close_billing(self):
        """Bill the ended bookings in a job each: the return (a device's event, a desk agent)
        and the cancellation never wait for the invoice."""
        bookings = self.sudo().filtered(
            lambda b: b.sale_order_id and b.sale_order_id.state != "cancel"
        )
        for booking in bookings:
            booking.with_delay(
                channel=BILLING_CHANNEL,
                identity_key=identity_exact,
                description=self.env._("Bill the booking %(booking)s", booking=booking.name),
            )._carshare_job_bill_ended()

    def _carshare_job_bill_ended(self):
        """Price the ended booking for real, then invoice it unless a manager validates
        first (job)."""
        bookings = self.sudo().filtered(
            lambda b: b.sale_order_id and b.sale_order_id.state != "cancel"
        )
        bookings._carshare_price_orders()
        bookings.filtered(
            lambda b: not b.community_id.billing_requires_validation and b.distance_check != "held"
        )._carshare_confirm_billing()

    def _on_distance_validated(self):
        result = super()._on_distance_validated()
        self._carshare_close_billing()
        return result

    def _carshare_confirm_billing(self):
        """Confirm the ended bookings' orders; invoice personal use at once, professional use at
        the month-end billing. An order with nothing to pay is cancelled."""
        orders = self.sudo().sale_order_id.filtered(lambda o: o.state in ("draft", "sent"))
        free = orders.filtered(
            lambda o: not any(
                o.order_line.filtered(lambda line: not line.display_type).mapped("product_uom_qty")
            )
        )
        free._action_cancel()
        orders -= free
        orders.action_confirm()
        personal = orders.filtered(lambda o: o.carshare_booking_id.usage == "perso")
        for company, company_orders in personal.grouped("company_id").items():
            company_orders.with_company(company)._carshare_invoice_or_report()

    def action_validate_billing(self):
        """Managers: confirm the billing of ended bookings, once any penalty is added."""
        check_groups(self.env, MANAGER_GROUP)
        for booking in self:
            if booking.billing_state != "to_validate":
                raise UserError(
                    self.env._(
                        "The billing of booking %(booking)s is not waiting for a validation.",
                        booking=booking.name,
                    )
                )
            if booking.distance_check == "held":
                raise UserError(
                    self.env._(
                        "Validate the distance of booking %(booking)s first.",
                        booking=booking.name,
                    )
                )
        self._carshare_confirm_billing()
        return True

    def action_carshare_bill_again(self):
        """Managers and accountants: bill a credited booking again, as priced now (correct it
        first, e.g. its odometer). Personal use is invoiced at once, professional use at the
        month-end billing."""
        self._carshare_check_billing_right()
        for booking in self:
            if booking.billing_state != "credited":
                raise UserError(
                    self.env._(
                        "The booking %(booking)s was not refunded by a credit note: there is "
                        "nothing to bill again.",
                        booking=booking.name,
                    )
                )
        orders = self.sudo().sale_order_id
        orders.carshare_credited = False
        for booking in self:
            booking.message_post(
                body=self.env._("Billed again by %(user)s.", user=self.env.user.name)
            )
        personal = orders.filtered(lambda o: o.carshare_booking_id.usage == "perso")
        for company, company_orders in personal.grouped("company_id").items():
            company_orders.with_company(company)._carshare_invoice_or_report()
        return True

    def _carshare_job_failed(self, exc_message=None, **_failure):
        """A billing job of the bookings failed for good: tell the accountant, on the booking
        and in their activities (queue_job's view of the job keeps the traceback)."""
        for booking in self.sudo().with_context(mail_notify_force_send=False):
            reason = exc_message or self.env._("unknown error")
            booking.message_post(
                body=self.env._(
                    "The billing of the booking failed: %(error)s Correct the cause, then a "
                    "manager validates the booking's billing, or an accountant requeues the "
                    "job from Billing Jobs.",
                    error=reason,
                )
            )
            booking.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Carsharing billing failed"),
                note=self.env._(
                    "The billing of %(booking)s failed: %(error)s",
                    booking=booking.name,
                    error=reason,
                ),
                user_id=booking.community_id._carshare_accountant(booking.company_id).id,
            )

    def _carshare_check_billing_right(self):
        if not self.env.su and not self.env.user.has_groups(BILLING_GROUPS):
            raise AccessError(
                self.env._("Only a fleet manager or an accountant may change a booking's billing.")
            )

    def action_reprice_billing(self):
        """Managers: price the booking again, e.g. after correcting its odometer."""
        check_groups(self.env, MANAGER_GROUP)
        self.check_access("write")
        for booking in self:
            if not booking.sale_order_id or booking.sale_order_id.state == "cancel":
                raise UserError(
                    self.env._("Booking %(booking)s has nothing to price.", booking=booking.name)
                )
        self._carshare_reprice_billing()
        return True

    def _carshare_reprice_billing(self):
        """Price the bookings' orders again, e.g. after the driver extended the booking."""
        self.sudo().filtered(
            lambda b: b.sale_order_id and b.sale_order_id.state != "cancel"
        )._carshare_price_orders()

    # -- pricing ---------------------------------------------------------------------------------

    def _carshare_billing_lines(self):
        """The priced components of the booking in its current state, for its sale order."""
        self.ensure_one()
        booking = self.with_context(lang=self._carshare_payer().lang or self.env.lang)
        version = booking.community_id.tariff_id._version_at(self.date_start)
        lines = [booking._carshare_section_line()]
        if self.state == "cancelled":
            lines += version._cancellation_fee_lines(self.date_start, self.date_cancelled)
        elif self.state == "no_show":
            lines += version._no_show_fee_lines()
        else:
            lines += booking._carshare_trip_lines(version)
        return lines

    def _carshare_billed_end(self):
        """The booked end, or the actual return when it came after the grace period and the
        community bills the extra time."""
        if self.state == "done" and self.community_id.late_return_billing != "fee":
            return self.date_end + timedelta(minutes=self.late_minutes)
        return self.date_end

    def _carshare_section_line(self):
        """The booking's heading on the order and the invoice: reference, driver, vehicle,
        dates and distance."""
        details = [
            self.name,
            self.partner_id.name,
            self.vehicle_id.display_name,
            f"{self._format_dt(self.date_start)} - {self._format_dt(self._carshare_billed_end())}",
        ]
        if self.state == "done":
            distance = f"{self.distance_km:g}"
            details.append(self.env._("%(km)s km", km=distance))
        elif self.state in ("cancelled", "no_show"):
            details.append(dict(self._fields["state"]._description_selection(self.env))[self.state])
        return {"key": "section", "display_type": "line_section", "name": ", ".join(details)}

    def _carshare_trip_lines(self, version):
        returned = self.state == "done"
        distance = self.distance_km if returned else self.expected_km
        lines = version._price_trip(
            self.date_start, self._carshare_billed_end(), distance, self._carshare_plan()
        )
        lines += version._booking_fee_lines()
        if self.carshare_insurance_buyback and not self._carshare_insurance_subscription():
            lines += version._insurance_lines(self.date_start, self._carshare_billed_end())
        if returned:
            if self._carshare_monthly_fee_due():
                lines += version._monthly_fee_lines(version.tariff_id._local_date(self.date_start))
            if self.community_id.late_return_billing != "time":
                lines += version._late_fee_lines(self.late_minutes)
        return lines

    def _carshare_plan(self):
        """The driver's subscription plan at the start of a personal booking."""
        if self.usage != "perso":
            return self.env["carshare.subscription.plan"]
        day = self.community_id.tariff_id._local_date(self.date_start)
        subscription = self.env["carshare.subscription"].search(
            [
                ("partner_id", "=", self.partner_id.id),
                ("community_id", "=", self.community_id.id),
                ("plan_id.kind", "=", "discount"),
                ("date_start", "<=", day),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", day),
            ],
            limit=1,
        )
        return subscription.plan_id

    def _carshare_insurance_subscription(self):
        """The driver's yearly insurance at the start of the booking, if any."""
        tariff = self.community_id.tariff_id
        if not tariff:
            return self.env["carshare.subscription"]
        return self.env["carshare.subscription"]._carshare_insured(
            self.partner_id, self.community_id, tariff._local_date(self.date_start)
        )

    def _carshare_excess_waived(self):
        """True when the driver owes no excess for a damage on this booking."""
        return self.carshare_insurance_buyback or bool(self._carshare_insurance_subscription())

    # -- estimates for the portal ----------------------------------------------------------------

    def _carshare_price_estimate(self):
        """The price of the booking as it stands (a draft, or a new record of form values),
        computed without writing anything: ``{'untaxed', 'total', 'currency', 'lines'}``, each
        line a ``price_line`` dict with its ``untaxed`` and ``total``."""
        self.ensure_one()
        tariff = self.community_id.tariff_id
        currency = self.company_id.currency_id or self.env.company.currency_id
        if not tariff:
            return {"untaxed": 0.0, "total": 0.0, "currency": currency, "lines": []}
        payer = self._carshare_payer()
        fiscal_position = (
            self.env["account.fiscal.position"]
            .with_company(tariff.company_id)
            ._get_fiscal_position(payer)
            if payer
            else None
        )
        rows = tariff._priced_rows(self._carshare_billing_lines(), fiscal_position, payer)
        return {
            "untaxed": tariff.currency_id.round(sum(row["untaxed"] for row in rows)),
            "total": tariff.currency_id.round(sum(row["total"] for row in rows)),
            "currency": tariff.currency_id,
            "lines": rows,
        }

    @api.model
    def _carshare_price_estimate_for(self, values):
        """``_carshare_price_estimate`` of a booking of ``values``, never saved."""
        return self.new(values)._carshare_price_estimate()

    def _carshare_cancellation_fee_estimate(self):
        """What cancelling the booking now would cost, taxes included."""
        self.ensure_one()
        tariff = self.community_id.tariff_id
        if not tariff or self.state not in ("draft", "confirmed"):
            return 0.0
        version = tariff._version_at(self.date_start)
        lines = version._cancellation_fee_lines(self.date_start, fields.Datetime.now())
        rows = tariff._priced_rows(lines, partner=self._carshare_payer())
        return tariff.currency_id.round(sum(row["total"] for row in rows))

    def _carshare_monthly_fee_due(self):
        """The monthly management fee is the resident's: owed by the driver for the first
        returned personal booking of a calendar month. Employers owe it only where the
        community says so, then for their first professional booking of the month, whichever
        agent drives."""
        if self.usage == "pro":
            if not self.community_id.monthly_fee_on_employers:
                return False
            payer_domain = [
                ("carshare_booking_id.usage", "=", "pro"),
                ("carshare_booking_id.employer_id", "=", self.employer_id.id),
            ]
        else:
            payer_domain = [
                ("carshare_booking_id.usage", "=", "perso"),
                ("carshare_booking_id.partner_id", "=", self.partner_id.id),
            ]
        tariff = self.community_id.tariff_id
        month = tariff._local_date(self.date_start).replace(day=1)
        return not self.env["sale.order.line"].search_count(
            [
                *payer_domain,
                ("carshare_line_key", "=", "monthly_fee"),
                ("product_uom_qty", ">", 0),
                ("state", "!=", "cancel"),
                ("carshare_booking_id", "!=", self.id),
                ("carshare_booking_id.state", "=", "done"),
                ("carshare_booking_id.community_id", "=", self.community_id.id),
                ("carshare_booking_id.date_start", ">=", tariff._utc(month)),
                (
                    "carshare_booking_id.date_start",
                    "<",
                    tariff._utc(month + relativedelta(months=1)),
                ),
            ],
            limit=1,
        )

    # -- views -----------------------------------------------------------------------------------

    def action_view_sale_order(self):
        check_view(self, MANAGER_GROUP, ACCOUNTANT_GROUP)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sale Order"),
            "res_model": "sale.order",
            "view_mode": "form",
            "res_id": self.sale_order_id.id,
        }

    def action_view_carshare_invoices(self):
        check_view(self, MANAGER_GROUP, ACCOUNTANT_GROUP)
        self.ensure_one()
        return self.sale_order_id.action_view_invoice()
