import logging
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from .carshare_booking import BILLING_CHANNEL

_logger = logging.getLogger(__name__)

# Orders invoiced per call: the ORM's batch creation slows down past a few hundred invoices.
INVOICE_BATCH = 200


class SaleOrder(models.Model):
    _inherit = "sale.order"

    carshare_booking_id = fields.Many2one(
        "carshare.booking",
        string="Booking",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )
    carshare_subscription_id = fields.Many2one(
        "carshare.subscription",
        string="Subscription",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )
    carshare_community_id = fields.Many2one(
        "carshare.community",
        string="Carsharing Community",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    carshare_date = fields.Date(
        string="Service Date",
        readonly=True,
        copy=False,
        help="Start of the booking, or month of the subscription, in the tariff's timezone: "
        "the month-end billing invoices the orders up to its last day.",
    )
    carshare_credited = fields.Boolean(
        string="Credited",
        readonly=True,
        copy=False,
        tracking=True,
        help="A credit note refunded this order: nothing more is invoiced nor charged until "
        "a manager bills the booking again.",
    )

    _sql_constraints = [
        (
            "carshare_booking_uniq",
            "unique(carshare_booking_id)",
            "A booking has a single sale order.",
        ),
        (
            "carshare_subscription_month_uniq",
            "unique(carshare_subscription_id, carshare_date)",
            "A subscription is ordered once a month.",
        ),
    ]

    # -- lines -----------------------------------------------------------------------------------

    def _carshare_sync_lines(self, lines):
        """Make the order's priced lines those of ``lines`` (``price_line`` dicts or sections).

        Lines added by hand (a penalty, an option) stay; on a confirmed order, a component that
        is no longer due keeps its line with no quantity, as invoiced lines cannot be removed.
        """
        self.ensure_one()
        keyed = self.order_line.filtered("carshare_line_key")
        current = {line.carshare_line_key: line for line in keyed}
        commands = []
        for sequence, values in enumerate(lines, start=1):
            line = current.pop(values["key"], None)
            line_values = self._carshare_line_values(values, sequence)
            commands.append(
                Command.update(line.id, line_values) if line else Command.create(line_values)
            )
        for line in current.values():
            if self.state == "sale" and not line.display_type:
                commands.append(
                    Command.update(line.id, {"product_uom_qty": 0.0, "price_unit": line.price_unit})
                )
            else:
                commands.append(Command.delete(line.id))
        self.write({"order_line": commands})

    def _carshare_line_values(self, values, sequence):
        line = {"sequence": sequence, "name": values["name"], "carshare_line_key": values["key"]}
        if values.get("display_type"):
            return {**line, "display_type": values["display_type"]}
        product = values["product"]
        taxes = self.env["carshare.tariff"]._line_taxes(
            product,
            self.company_id,
            self.fiscal_position_id,
            values["tax_included"],
            values["component"],
        )
        return {
            **line,
            "carshare_component": values["component"],
            "product_id": product.id,
            "product_uom": product.uom_id.id,
            "product_uom_qty": values["quantity"],
            "price_unit": values["price_unit"],
            "discount": values["discount"],
            "tax_id": [Command.set(taxes.ids)],
        }

    # -- invoicing -------------------------------------------------------------------------------

    def _prepare_invoice(self):
        values = super()._prepare_invoice()
        if self.carshare_community_id:
            values["carshare_community_id"] = self.carshare_community_id.id
            if self.carshare_booking_id.usage == "pro":
                values["invoice_payment_term_id"] = (
                    self.company_id._carshare_employer_payment_term(
                        self.partner_invoice_id.commercial_partner_id
                    ).id
                    or False
                )
            if self.env.context.get("carshare_invoice_date"):
                values["invoice_date"] = self.env.context["carshare_invoice_date"]
        return values

    def _carshare_invoice(self, invoice_date=None, isolate=False):
        """Invoice and post the orders still to invoice: one invoice per personal booking or
        subscription month, one per employer (and purchase order) for professional bookings.

        ``isolate`` (the month-end billing): each employer's invoice and each batch of
        personal invoices is made in its own savepoint; one refused (e.g. by Chorus Pro's
        rules) is told to the accountant and the others go on."""
        orders = self.with_context(carshare_invoice_date=invoice_date)
        invoices = self.env["account.move"]
        for unit, grouped in orders._carshare_invoice_units():
            if isolate:
                invoices |= unit._carshare_invoice_isolated(grouped)
            else:
                invoices |= unit._carshare_create_invoices(grouped)._carshare_post()
            self._carshare_release_cache()
        return invoices.with_env(self.env)

    def _carshare_invoice_units(self):
        """The orders still to invoice, as the invoicing makes them: batches of personal
        orders (an invoice each) and each employer's orders of a purchase order (one invoice):
        ``[(orders, grouped)]``."""
        orders = self.filtered(lambda o: o.invoice_status == "to invoice")
        pro = orders.filtered(lambda o: o.carshare_booking_id.usage == "pro")
        pro._carshare_refresh_employer_refs()
        personal = orders - pro
        units = [
            (batch, True) for batch in split_every(INVOICE_BATCH, personal.ids, personal.browse)
        ]
        employers = pro.grouped(
            lambda o: (o.carshare_community_id, o.partner_invoice_id, o.client_order_ref or "")
        )
        return units + [(employer_orders, False) for employer_orders in employers.values()]

    def _carshare_refresh_employer_refs(self):
        """The commitment (purchase order) number is the employer's or the agent's membership's
        as they are when invoicing: correcting them corrects the bookings already confirmed."""
        for order in self:
            reference = order.carshare_booking_id._carshare_purchase_order_ref()
            if (order.client_order_ref or False) != reference:
                order.client_order_ref = reference

    def _carshare_invoice_isolated(self, grouped):
        """Invoice the orders in a savepoint; a batch of personal orders that fails is
        invoiced again one order at a time, so that only the refused ones are left."""
        try:
            with self.env.cr.savepoint():
                return self._carshare_create_invoices(grouped)._carshare_post()
        except psycopg2.OperationalError:
            raise  # a concurrent run or a lock: the whole run is retried
        except Exception as error:  # one refused invoice never stops the others
            if grouped and len(self) > 1:
                invoices = self.env["account.move"]
                for order in self:
                    invoices |= order._carshare_invoice_isolated(grouped)
                return invoices
            _logger.info("month-end invoice of %s refused: %s", self.mapped("name"), error)
            self._carshare_report_failure(error)
            return self.env["account.move"]

    def _carshare_report_failure(self, error):
        """Tell the accountant why the orders could not be invoiced: an activity on the payer,
        a message on each booking. The next month-end billing tries them again."""
        reason = error.args[0] if isinstance(error, UserError) and error.args else str(error)
        payer = self.partner_invoice_id.commercial_partner_id[:1]
        community = self.carshare_community_id[:1]
        payer.sudo().with_context(mail_notify_force_send=False).activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Carsharing invoice refused"),
            note=self.env._(
                "The month-end billing could not invoice %(orders)s: %(error)s Correct it; the "
                "next month-end billing invoices them.",
                orders=", ".join(self.mapped("origin") or self.mapped("name")),
                error=reason,
            ),
            user_id=community._carshare_accountant(self.company_id).id,
        )
        for booking in self.carshare_booking_id:
            booking.message_post(
                body=self.env._(
                    "The month-end billing could not invoice the booking: %(error)s It will try "
                    "again at the next month-end.",
                    error=reason,
                )
            )

    def _carshare_release_cache(self):
        """Creating invoices walks the records the cache holds: the thousands of invoices of a
        month-end run would slow down each next one. Written to the database, they may go."""
        self.env.flush_all()
        self.env.invalidate_all()

    def _carshare_invoice_or_report(self):
        """Invoice the orders now; should that fail (e.g. an account is missing), keep them to
        invoice for the month-end billing and tell the booking: a vehicle is returned even when
        its invoice cannot be issued yet."""
        try:
            with self.env.cr.savepoint():
                return self._carshare_invoice()
        except UserError as error:
            for order in self:
                order.carshare_booking_id.message_post(
                    body=self.env._(
                        "The invoice could not be issued: %(error)s The month-end billing will "
                        "try again.",
                        error=error.args[0],
                    )
                )
            return self.env["account.move"]

    def _carshare_create_invoices(self, grouped):
        if not self:
            return self.env["account.move"]
        # Read for all the orders at once: sale's loop reads them an order at a time.
        self.order_line.mapped("tax_id")
        self.order_line.mapped("invoice_lines")
        invoices = self.with_context(
            raise_if_nothing_to_invoice=False, carshare_origin_note_batch=True
        )._create_invoices(grouped=grouped, final=True)
        invoices._carshare_log_origin()
        return invoices.with_context(carshare_origin_note_batch=False)

    @api.model
    def _carshare_period_orders(self, date_from, date_to, communities=None):
        """Order the subscriptions' months of the period, then return every carsharing order
        dated up to ``date_to`` that is still to invoice."""
        self._carshare_order_subscriptions(date_from, date_to, communities)
        domain = [
            ("carshare_community_id", "!=", False),
            ("state", "=", "sale"),
            ("invoice_status", "=", "to invoice"),
            ("carshare_date", "<=", date_to),
        ]
        if communities:
            domain.append(("carshare_community_id", "in", communities.ids))
        return self.search(domain, order="carshare_date, id")

    @api.model
    def _carshare_enqueue_period(
        self, date_from, date_to, communities=None, invoice_date=None, run=None
    ):
        """Month-end billing in jobs: one per employer (and purchase order) and one per batch
        of personal orders, on the billing channel, so that the job runner's workers share
        them and a refused invoice fails alone. Running it again invoices nothing twice; the
        invoices are added to the ``run`` wizard. Returns the jobs queued."""
        orders = self._carshare_period_orders(date_from, date_to, communities)
        jobs = []
        for company, company_orders in orders.grouped("company_id").items():
            for unit, grouped in company_orders.with_company(company)._carshare_invoice_units():
                jobs.append(
                    unit.with_delay(
                        channel=BILLING_CHANNEL,
                        identity_key=identity_exact,
                        description=self.env._(
                            "Month-end billing of %(orders)s orders, up to %(date)s",
                            orders=len(unit),
                            date=date_to,
                        ),
                    )._carshare_job_invoice(grouped, invoice_date or date_to, run)
                )
        return jobs

    def _carshare_job_invoice(self, grouped, invoice_date, run=None):
        """Invoice the orders still to invoice of one employer or one batch of personal orders
        (a month-end job). A lock or a serialization failure is retried later."""
        try:
            self._carshare_lock()
            orders = self.filtered(lambda o: o.invoice_status == "to invoice")
            invoices = orders.with_context(
                carshare_invoice_date=invoice_date
            )._carshare_invoice_isolated(grouped)
        except psycopg2.OperationalError as error:
            raise RetryableJobError(str(error), seconds=60) from error
        if run and run.exists():
            run.sudo().invoice_ids = [Command.link(invoice.id) for invoice in invoices]
        # The job runner gives each job a fresh cache; jobs performed in one transaction
        # (queue_job__no_delay: the demo history's month-end) get one too.
        self._carshare_release_cache()
        return invoices

    def _carshare_job_failed(self, exc_message=None, **_failure):
        """A month-end job failed for good: tell the accountant as for a refused invoice."""
        self._carshare_report_failure(UserError(exc_message or self.env._("unknown error")))

    def _carshare_lock(self):
        """Make a concurrent run (cron and wizard) wait for this one, then fail on its
        serialization error instead of invoicing the same orders twice."""
        if self:
            self.env.cr.execute(
                SQL("SELECT id FROM sale_order WHERE id IN %s FOR UPDATE", tuple(self.ids))
            )

    @api.model
    def _carshare_order_subscriptions(self, date_from, date_to, communities):
        """Confirm an order for each month starting within the period of each running
        subscription, once."""
        month = date_from + relativedelta(day=1)
        if month < date_from:
            month += relativedelta(months=1)
        Subscription = self.env["carshare.subscription"]
        while month <= date_to:
            domain = [
                *Subscription._active_domain(month, month + relativedelta(months=1, days=-1)),
                ("plan_id.monthly_fee", ">", 0),
                ("plan_id.kind", "=", "discount"),
            ]
            if communities:
                domain.append(("community_id", "in", communities.ids))
            subscriptions = Subscription.search(domain)
            ordered = self.search(
                [
                    ("carshare_subscription_id", "in", subscriptions.ids),
                    ("carshare_date", "=", month),
                ]
            ).carshare_subscription_id
            for subscription in subscriptions - ordered:
                order = self.with_company(subscription.company_id).create(
                    subscription._carshare_sale_order_values(month)
                )
                order._carshare_sync_lines(subscription._carshare_billing_lines(month))
                order.action_confirm()
            month += relativedelta(months=1)
        self._carshare_order_insurance_years(date_from, date_to, communities)

    @api.model
    def _carshare_order_insurance_years(self, date_from, date_to, communities):
        """Confirm an order for each year of a yearly insurance starting within the period,
        once."""
        domain = [
            *self.env["carshare.subscription"]._active_domain(date_from, date_to),
            ("plan_id.kind", "=", "insurance"),
        ]
        if communities:
            domain.append(("community_id", "in", communities.ids))
        for subscription in self.env["carshare.subscription"].search(domain):
            year_start = subscription._carshare_anniversary_in(date_from, date_to)
            if not year_start or subscription.sale_order_ids.filtered(
                lambda o, day=year_start: o.carshare_date == day
            ):
                continue
            order = self.with_company(subscription.company_id).create(
                subscription._carshare_sale_order_values(year_start)
            )
            order._carshare_sync_lines(subscription._carshare_billing_lines(year_start))
            order.action_confirm()

    @api.model
    def _cron_carshare_month_end(self):
        """Bill the previous month, in jobs."""
        last_day = fields.Date.context_today(self).replace(day=1) - timedelta(days=1)
        self._carshare_enqueue_period(last_day.replace(day=1), last_day)
