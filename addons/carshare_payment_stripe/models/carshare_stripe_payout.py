import logging
from datetime import UTC, datetime, timedelta

from werkzeug.urls import url_encode

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.carshare_fleet.access import ACCOUNTANT_GROUP, check_groups
from odoo.addons.carshare_fleet.cron import commit, for_each
from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)

# Days between Stripe's arrival date and the bank's booking date that still match.
MATCH_DAYS = 5


class CarshareStripePayout(models.Model):
    _name = "carshare.stripe.payout"
    _description = "Stripe Payout"
    _inherit = ["mail.thread"]
    _order = "arrival_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Stripe Payout", required=True, readonly=True, copy=False)
    provider_id = fields.Many2one(
        "payment.provider",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        domain=[("code", "=", "stripe")],
        check_company=True,
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    arrival_date = fields.Date(required=True, readonly=True, index=True)
    gross_amount = fields.Monetary(string="Gross", readonly=True, help="Charges less refunds.")
    fee_amount = fields.Monetary(string="Stripe's Fees", readonly=True)
    amount = fields.Monetary(string="Net", readonly=True, help="What reaches the bank account.")
    line_ids = fields.One2many(
        "carshare.stripe.payout.line", "payout_id", string="Balance Transactions", readonly=True
    )
    payment_ids = fields.Many2many(
        "account.payment", compute="_compute_payment_ids", string="Payments Settled"
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Bank Statement Line",
        readonly=True,
        copy=False,
        check_company=True,
    )
    state = fields.Selection(
        [("draft", "To Reconcile"), ("reconciled", "Reconciled")],
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
    )

    _sql_constraints = [
        ("name_uniq", "unique(provider_id, name)", "A Stripe payout is fetched once."),
    ]

    @api.depends("line_ids.payment_id")
    def _compute_payment_ids(self):
        for payout in self:
            payout.payment_ids = payout.line_ids.payment_id

    # -- fetching from Stripe --------------------------------------------------------------------

    @api.model
    def _carshare_stripe_providers(self, all_companies=False):
        domain = [("code", "=", "stripe"), ("state", "in", ("enabled", "test"))]
        if not all_companies:
            domain.append(("company_id", "in", self.env.companies.ids))
        return self.env["payment.provider"].sudo().search(domain)

    @api.model
    def _cron_carshare_fetch(self):
        """Fetch the new payouts of every Stripe provider; a provider or a payout that fails
        is logged and does not stop the others."""
        for_each(
            self.env,
            self._carshare_stripe_providers(all_companies=True),
            lambda provider: self.with_company(provider.company_id)._carshare_fetch(
                provider, skip_errors=True
            ),
            _logger,
            "fetching the payouts",
        )

    @api.model
    def action_carshare_fetch(self):
        """Accountants: fetch the new payouts of the Stripe providers of the selected
        companies."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        for provider in self._carshare_stripe_providers():
            self.with_company(provider.company_id)._carshare_fetch(provider)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_payment_stripe.action_carshare_stripe_payout"
        )

    @api.model
    def _carshare_fetch(self, provider, payout_ids=None, skip_errors=False):
        """Store the paid payouts of the Stripe ``provider`` not stored yet, with their balance
        transactions (fees as Stripe reports them): the given ``payout_ids``, or the latest.
        With ``skip_errors``, a payout that fails is logged and the others are stored."""
        provider.ensure_one()
        if payout_ids is None:
            listing = provider._stripe_make_request(
                "payouts?" + url_encode({"limit": 100, "status": "paid"}), method="GET"
            )
            payouts = [p for p in listing.get("data", []) if p.get("status") == "paid"]
        else:
            payouts = [
                provider._stripe_make_request(f"payouts/{payout_id}", method="GET")
                for payout_id in payout_ids
            ]
        known = set(self.search([("provider_id", "=", provider.id)]).mapped("name"))
        created = self.browse()
        for data in payouts:
            if data["id"] in known:
                continue
            if not skip_errors:
                created |= self._carshare_create_from_stripe(provider, data)
                continue
            try:
                with self.env.cr.savepoint():
                    created |= self._carshare_create_from_stripe(provider, data)
            except Exception:
                _logger.exception("storing the Stripe payout %s failed", data["id"])
            commit(self.env)
        return created

    @api.model
    def _carshare_create_from_stripe(self, provider, data):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", data["currency"].upper())], limit=1)
        )
        lines = [
            Command.create(
                self.env["carshare.stripe.payout.line"]._values_from_stripe(
                    provider, transaction, currency
                )
            )
            for transaction in self._carshare_balance_transactions(provider, data["id"])
            if transaction["type"] != "payout"
        ]
        payout = self.create(
            {
                "name": data["id"],
                "provider_id": provider.id,
                "currency_id": currency.id,
                "arrival_date": datetime.fromtimestamp(data["arrival_date"], tz=UTC).date(),
                "amount": payment_utils.to_major_currency_units(data["amount"], currency),
                "line_ids": lines,
            }
        )
        payout.write(
            {
                "gross_amount": sum(payout.line_ids.mapped("amount")),
                "fee_amount": sum(payout.line_ids.mapped("fee")),
            }
        )
        return payout

    @api.model
    def _carshare_balance_transactions(self, provider, payout_id):
        """Every balance transaction of the payout, page after page."""
        transactions, params = [], {"payout": payout_id, "limit": 100, "expand[]": "data.source"}
        while True:
            page = provider._stripe_make_request(
                "balance_transactions?" + url_encode(params), method="GET"
            )
            transactions += page.get("data", [])
            if not page.get("has_more") or not page.get("data"):
                return transactions
            params["starting_after"] = page["data"][-1]["id"]

    # -- reconciliation --------------------------------------------------------------------------

    def action_reconcile(self, statement_line=None):
        """Reconcile the payout with the bank statement line of its net amount: the line's
        counterparts become the Stripe payments' outstanding receipts, settled, and Stripe's
        fees, booked as bank charges."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        self.ensure_one()
        if self.state == "reconciled":
            raise UserError(
                self.env._("The payout %(payout)s is already reconciled.", payout=self.name)
            )
        statement_line = statement_line or self._carshare_find_statement_line()
        self._carshare_check_reconcilable(statement_line)
        _liquidity, suspense, other = statement_line._seek_for_lines()
        if other or not suspense:
            raise UserError(
                self.env._(
                    "The bank statement line %(line)s is already reconciled with something else.",
                    line=statement_line.display_name,
                )
            )
        counterparts = self._carshare_counterpart_values(statement_line)
        statement_line.with_context(force_delete=True).write(
            {"line_ids": [Command.delete(suspense.id)] + [Command.create(v) for v in counterparts]}
        )
        for payment in self.payment_ids:
            counterpart = statement_line.move_id.line_ids.filtered(
                lambda aml, p=payment: aml.name == p.name
            )
            (payment._seek_for_lines()[0] + counterpart).reconcile()
        self.write({"statement_line_id": statement_line.id, "state": "reconciled"})
        return True

    def _carshare_find_statement_line(self):
        lines = self.env["account.bank.statement.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("is_reconciled", "=", False),
                ("amount", "=", self.amount),
                ("date", ">=", self.arrival_date - timedelta(days=MATCH_DAYS)),
                ("date", "<=", self.arrival_date + timedelta(days=MATCH_DAYS)),
            ]
        )
        taken = self.search([("statement_line_id", "in", lines.ids)]).statement_line_id
        lines -= taken
        if not lines:
            raise UserError(
                self.env._(
                    "No bank statement line of %(amount)s around %(date)s matches the payout "
                    "%(payout)s: import the bank statement first.",
                    amount=self.amount,
                    date=self.arrival_date,
                    payout=self.name,
                )
            )
        return lines.sorted(lambda st_line: abs((st_line.date - self.arrival_date).days))[0]

    def _carshare_check_reconcilable(self, statement_line):
        if self.currency_id.compare_amounts(statement_line.amount, self.amount):
            raise UserError(
                self.env._(
                    "The bank statement line %(line)s is of %(line_amount)s, the payout "
                    "%(payout)s of %(amount)s.",
                    line=statement_line.display_name,
                    line_amount=statement_line.amount,
                    payout=self.name,
                    amount=self.amount,
                )
            )
        self._carshare_check_payment_entries()
        unmatched = self.line_ids.filtered(lambda line: not line.payment_id)
        settled = sum(
            -sum(p._seek_for_lines()[0].mapped("balance")) for p in self.line_ids.payment_id
        )
        if not unmatched and self.currency_id.compare_amounts(-settled, self.gross_amount):
            raise UserError(
                self.env._(
                    "The payments of the payout %(payout)s add up to %(settled)s, Stripe paid "
                    "out %(gross)s before its fees.",
                    payout=self.name,
                    settled=-settled,
                    gross=self.gross_amount,
                )
            )
        if unmatched:
            raise UserError(
                self.env._(
                    "No posted payment in Odoo for the Stripe transactions %(sources)s of the "
                    "payout %(payout)s.",
                    sources=", ".join(unmatched.mapped("source")),
                    payout=self.name,
                )
            )

    def _carshare_check_payment_entries(self):
        """The payout settles the payments' outstanding receipts: a payment whose method has no
        outstanding account has no journal entry to settle."""
        without_entry = self.line_ids.payment_id.filtered(lambda payment: not payment.move_id)
        if without_entry:
            raise UserError(
                self.env._(
                    "The payments %(payments)s of the payout %(payout)s have no journal entry: "
                    "set an outstanding receipts account on the payment method %(methods)s of "
                    "the journal %(journals)s, then register these payments again.",
                    payments=", ".join(without_entry.mapped("name")),
                    payout=self.name,
                    methods=", ".join(without_entry.payment_method_line_id.mapped("name")),
                    journals=", ".join(without_entry.journal_id.mapped("name")),
                )
            )

    def _carshare_counterpart_values(self, statement_line):
        """The lines replacing the statement line's suspense line: each payment's outstanding
        amount, and the fees on the bank charges account."""
        values = []
        for payment in self.payment_ids:
            outstanding = payment._seek_for_lines()[0]
            values.append(
                {
                    "name": payment.name,
                    "account_id": outstanding.account_id.id,
                    "partner_id": payment.partner_id.id,
                    "balance": -sum(outstanding.mapped("balance")),
                    "amount_currency": -sum(outstanding.mapped("amount_currency")),
                    "currency_id": outstanding.currency_id.id,
                }
            )
        if not self.currency_id.is_zero(self.fee_amount):
            values.append(
                {
                    "name": self.env._("Stripe's fees, payout %(payout)s", payout=self.name),
                    "account_id": self.company_id._carshare_bank_charges_account().id,
                    "balance": self.fee_amount,
                    "amount_currency": self.fee_amount,
                    "currency_id": self.currency_id.id,
                }
            )
        return values
