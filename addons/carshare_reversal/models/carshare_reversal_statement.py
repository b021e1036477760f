from psycopg2 import errors as pgerrors

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, mute_logger

from odoo.addons.carshare_fleet.access import (
    ACCOUNTANT_GROUP,
    MANAGER_GROUP,
    action_write,
    check_action_fields,
    check_groups,
    check_view,
)

PAID_STATES = ("paid", "in_payment", "reversed")


class CarshareReversalStatement(models.Model):
    _name = "carshare.reversal.statement"
    _description = "Carsharing Revenue Reversal Statement"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: "/"
    )
    rule_id = fields.Many2one(
        "carshare.reversal.rule",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    community_id = fields.Many2one(related="rule_id.community_id", store=True, index=True)
    company_id = fields.Many2one(related="rule_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(string="From", required=True, tracking=True)
    date_to = fields.Date(string="To", required=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("done", "Done")],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        help="Draft: computed from the accounting, may be computed again. Confirmed: the bills "
        "or payments of the beneficiaries are posted. Done: they are paid.",
    )
    revenue_line_ids = fields.Many2many(
        "account.move.line",
        "carshare_reversal_statement_revenue_rel",
        "statement_id",
        "line_id",
        string="Revenue Collected",
        readonly=True,
        copy=False,
    )
    revenue_amount = fields.Monetary(
        string="Revenue Collected (tax excl.)", readonly=True, tracking=True, copy=False
    )
    booking_fee_amount = fields.Monetary(string="Booking Fees Kept", readonly=True, copy=False)
    commission_amount = fields.Monetary(string="Commission", readonly=True, copy=False)
    net_amount = fields.Monetary(string="To Reverse", readonly=True, tracking=True, copy=False)
    line_ids = fields.One2many(
        "carshare.reversal.statement.line", "statement_id", string="Beneficiaries", readonly=True
    )
    move_count = fields.Integer(compute="_compute_move_count")

    @api.depends("line_ids.move_id", "line_ids.payment_id")
    def _compute_move_count(self):
        for statement in self:
            statement.move_count = len(statement.line_ids.move_id) + len(
                statement.line_ids.payment_id
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_action_fields(self, vals, ["state"], create=True)
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("carshare.reversal.statement") or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        check_action_fields(self, vals, ["state"])
        return super().write(vals)

    @api.constrains("rule_id", "date_from", "date_to")
    def _check_period(self):
        for statement in self:
            if statement.date_to < statement.date_from:
                raise ValidationError(
                    self.env._("The statement %(name)s ends before it starts.", name=statement.name)
                )
            other = self.search(
                [
                    ("id", "!=", statement.id),
                    ("community_id", "=", statement.community_id.id),
                    ("date_from", "<=", statement.date_to),
                    ("date_to", ">=", statement.date_from),
                ],
                limit=1,
            )
            if other:
                raise ValidationError(
                    self.env._(
                        "The statement %(other)s of %(community)s already covers part of these "
                        "dates: each period of a community is reversed once.",
                        other=other.name,
                        community=statement.community_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(statement.state != "draft" for statement in self):
            raise UserError(self.env._("Only a draft reversal statement can be deleted."))

    # -- computation -----------------------------------------------------------------------------

    def _revenue_lines(self):
        """Untaxed lines of the paid invoices and credit notes of the community's bookings,
        dated from the rule's start to the end of the period, not reversed by a confirmed
        statement yet."""
        self.ensure_one()
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("move_id.carshare_community_id", "=", self.community_id.id),
                ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                ("move_id.payment_state", "in", PAID_STATES),
                ("move_id.invoice_date", ">=", self.rule_id.date_start),
                ("move_id.invoice_date", "<=", self.date_to),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
                ("carshare_booking_id", "!=", False),
                ("carshare_reversal_statement_id", "=", False),
            ]
        )

    def _carshare_fees_deducted(self, revenue_lines):
        """Hook: the payment providers' fees deducted from ``revenue_lines``; none here."""
        return 0.0

    def action_compute(self):
        """Accountants: compute the draft statements again from the accounting."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        for statement in self:
            if statement.state != "draft":
                raise UserError(
                    self.env._(
                        "The statement %(name)s is confirmed: it can no longer be computed "
                        "again.",
                        name=statement.name,
                    )
                )
            statement._compute_amounts()
        return True

    def _compute_amounts(self):
        rule = self.rule_id
        currency = self.currency_id
        revenue_lines = self._revenue_lines()
        revenue = -sum(revenue_lines.mapped("balance"))
        booking_fees = 0.0
        if rule.deduct_booking_fee:
            fee_lines = revenue_lines.filtered(lambda aml: aml.carshare_component == "booking_fee")
            booking_fees = -sum(fee_lines.mapped("balance"))
        provider_fees = self._carshare_fees_deducted(revenue_lines)
        base = currency.round(revenue - booking_fees - provider_fees)
        commission = currency.round(base * rule.commission_percent / 100)
        net = base - commission
        self.write(
            {
                "revenue_line_ids": [Command.set(revenue_lines.ids)],
                "revenue_amount": currency.round(revenue),
                "booking_fee_amount": currency.round(booking_fees),
                "commission_amount": commission,
                "net_amount": net,
                "line_ids": [Command.clear(), *self._share_commands(net)],
            }
        )

    def _share_commands(self, net):
        """One line per beneficiary; the last one takes the cents lost to rounding."""
        commands, left = [], net
        shares = self.rule_id.share_ids
        for share in shares:
            if share == shares[-1]:
                amount = left
            else:
                amount = self.currency_id.round(net * share.percent / 100)
            left -= amount
            commands.append(
                Command.create(
                    {
                        "partner_id": share.partner_id.id,
                        "percent": share.percent,
                        "amount": amount,
                        "tax_ids": [Command.set(share.tax_ids.ids)],
                        "account_id": (
                            share.account_id or self.rule_id._carshare_expense_account()
                        ).id,
                    }
                )
            )
        return commands

    # -- confirmation ----------------------------------------------------------------------------

    def action_confirm(self):
        """Accountants: post the beneficiaries' bills or payments and mark the revenue as
        reversed."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        for statement in self:
            statement._carshare_lock()
            if statement.state != "draft":
                raise UserError(
                    self.env._("The statement %(name)s is already confirmed.", name=statement.name)
                )
            statement._compute_amounts()
            if statement.currency_id.compare_amounts(statement.net_amount, 0) <= 0:
                raise UserError(
                    self.env._(
                        "The statement %(name)s has nothing to reverse: no paid revenue of "
                        "%(community)s from %(start)s to %(end)s.",
                        name=statement.name,
                        community=statement.community_id.name,
                        start=statement.date_from,
                        end=statement.date_to,
                    )
                )
            statement._carshare_settle()
            statement.revenue_line_ids.carshare_reversal_statement_id = statement
            action_write(statement, {"state": "confirmed"})
        return True

    def _carshare_lock(self):
        """Lock the statement and its rule until the end of the transaction, so that neither
        the same statement nor another statement of the community is confirmed at the same
        time (both would post bills for the same revenue); read the state again once locked."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM carshare_reversal_statement WHERE id = %s "
                        "FOR UPDATE NOWAIT",
                        self.id,
                    )
                )
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM carshare_reversal_rule WHERE id = %s FOR UPDATE NOWAIT",
                        self.rule_id.id,
                    )
                )
        except (pgerrors.LockNotAvailable, pgerrors.SerializationFailure):
            raise UserError(
                self.env._(
                    "The statement %(name)s or another statement of %(community)s is being "
                    "confirmed right now: try again in a moment.",
                    name=self.name,
                    community=self.community_id.name,
                )
            ) from None
        self.invalidate_recordset(["state"])

    def _carshare_settle(self):
        for line in self.line_ids.filtered(lambda line: not line.currency_id.is_zero(line.amount)):
            line.move_id = line._carshare_create_bill()
            if self.rule_id.settlement == "payment":
                line.payment_id = line._carshare_pay_bill()

    def action_done(self):
        """Accountants: close the statement once its bills are paid."""
        check_groups(self.env, ACCOUNTANT_GROUP)
        for statement in self:
            if statement.state != "confirmed":
                raise UserError(
                    self.env._("The statement %(name)s is not confirmed.", name=statement.name)
                )
            unpaid = statement.line_ids.move_id.filtered(
                lambda m: m.payment_state not in ("paid", "in_payment")
            )
            if unpaid:
                raise UserError(
                    self.env._(
                        "Pay the bills %(bills)s of the statement %(name)s first.",
                        bills=", ".join(unpaid.mapped("name")),
                        name=statement.name,
                    )
                )
        action_write(self, {"state": "done"})
        return True

    def action_view_moves(self):
        check_view(self, MANAGER_GROUP, ACCOUNTANT_GROUP)
        self.ensure_one()
        if self.line_ids.payment_id:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Payments"),
                "res_model": "account.payment",
                "view_mode": "list,form",
                "domain": [("id", "in", self.line_ids.payment_id.ids)],
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Vendor Bills"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.line_ids.move_id.ids)],
        }
