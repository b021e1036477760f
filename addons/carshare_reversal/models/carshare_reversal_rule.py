import logging
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.float_utils import float_compare

from odoo.addons.carshare_fleet.access import ACCOUNTANT_GROUP, MANAGER_GROUP, check_view
from odoo.addons.carshare_fleet.cron import for_each

_logger = logging.getLogger(__name__)


class CarshareReversalRule(models.Model):
    _name = "carshare.reversal.rule"
    _description = "Carsharing Revenue Reversal Rule"
    _inherit = ["mail.thread"]
    _order = "community_id, id"
    _check_company_auto = True

    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(default=True)
    date_start = fields.Date(
        string="First Period From",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="Statements are created for the periods ending on or after this date.",
    )
    period = fields.Selection(
        [
            ("monthly", "Monthly"),
            ("fortnightly", "Fortnightly"),
            ("quarterly", "Quarterly"),
        ],
        required=True,
        default="quarterly",
        tracking=True,
        help="Fortnightly: from the 1st to the 15th, then to the end of the month. Quarterly: "
        "calendar quarters.",
    )
    commission_percent = fields.Float(
        string="Operator's Commission (%)",
        tracking=True,
        help="Kept by the operator on the revenue left once the fees are deducted.",
    )
    deduct_booking_fee = fields.Boolean(
        string="Keep the Booking Fees",
        default=True,
        tracking=True,
        help="The platform's booking fees are not reversed.",
    )
    settlement = fields.Selection(
        [("bill", "Vendor Bill"), ("payment", "Payment")],
        required=True,
        default="bill",
        tracking=True,
        help="Vendor bill: one posted bill per beneficiary, paid as usual. Payment: the same "
        "bill, paid at once from the bank journal below.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', 'in', ('purchase', 'bank'))]",
        help="Purchase journal of the bills (empty: the company's default), or bank journal "
        "of the payments.",
    )
    account_id = fields.Many2one(
        "account.account",
        string="Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        tracking=True,
        help="Account of the beneficiaries' bills, unless a share has its own. Empty: 613500 "
        "(movable property rental: the vehicles' owners are paid for their use) on the "
        "French chart.",
    )
    share_ids = fields.One2many(
        "carshare.reversal.share", "rule_id", string="Beneficiaries", copy=True
    )
    statement_ids = fields.One2many("carshare.reversal.statement", "rule_id", string="Statements")

    _sql_constraints = [
        (
            "community_uniq",
            "unique(community_id)",
            "A community has a single revenue reversal rule.",
        ),
    ]

    def _carshare_expense_account(self):
        """The account of the beneficiaries' bills."""
        self.ensure_one()
        if self.account_id:
            return self.account_id
        accounts = self.env["account.account"].with_company(self.company_id)
        account = accounts.search(
            [*accounts._check_company_domain(self.company_id), ("code", "=", "613500")], limit=1
        )
        if not account:
            raise UserError(
                self.env._(
                    "Set the expense account of the revenue reversal of %(community)s.",
                    community=self.community_id.name,
                )
            )
        return account

    @api.depends("community_id", "period")
    def _compute_display_name(self):
        periods = dict(self._fields["period"]._description_selection(self.env))
        for rule in self:
            rule.display_name = f"{rule.community_id.name or ''} ({periods.get(rule.period, '')})"

    @api.constrains("share_ids")
    def _check_shares(self):
        for rule in self:
            total = sum(rule.share_ids.mapped("percent"))
            if float_compare(total, 100.0, precision_digits=2):
                raise ValidationError(
                    self.env._(
                        "The shares of the beneficiaries of %(community)s add up to %(total)s %%: "
                        "they must add up to 100 %%.",
                        community=rule.community_id.name,
                        total=f"{total:g}",
                    )
                )

    @api.constrains("commission_percent")
    def _check_commission(self):
        for rule in self:
            if not 0 <= rule.commission_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "The commission of %(community)s must be between 0 and 100 %%.",
                        community=rule.community_id.name,
                    )
                )

    @api.constrains("settlement", "journal_id")
    def _check_journal(self):
        for rule in self:
            if rule.settlement == "payment" and rule.journal_id.type != "bank":
                raise ValidationError(
                    self.env._(
                        "Choose the bank journal that pays the beneficiaries of %(community)s.",
                        community=rule.community_id.name,
                    )
                )
            if rule.settlement == "bill" and rule.journal_id.type not in (False, "purchase"):
                raise ValidationError(
                    self.env._(
                        "The bills of %(community)s go to a purchase journal.",
                        community=rule.community_id.name,
                    )
                )

    # -- periods ---------------------------------------------------------------------------------

    def _period_of(self, day):
        """(first day, last day) of the rule's period containing ``day``."""
        self.ensure_one()
        if self.period == "fortnightly":
            if day.day <= 15:
                return day.replace(day=1), day.replace(day=15)
            return day.replace(day=16), day + relativedelta(day=31)
        months = 3 if self.period == "quarterly" else 1
        first = date(day.year, (day.month - 1) // months * months + 1, 1)
        return first, first + relativedelta(months=months, days=-1)

    def _last_ended_period(self, today):
        """The last period ended before ``today``."""
        start, _end = self._period_of(today)
        return self._period_of(start - timedelta(days=1))

    def _today(self):
        """Today in the community's time zone (its tariff's, else the company's): the cron
        user's time zone would close a period a day early or late."""
        self.ensure_one()
        tz = self.community_id.tariff_id.tz or self.company_id.partner_id.tz or "UTC"
        return fields.Datetime.context_timestamp(
            self.with_context(tz=tz), fields.Datetime.now()
        ).date()

    @api.model
    def _cron_create_statements(self):
        """Create and compute the statement of each rule's period that has just ended; a rule
        that fails is logged and does not stop the others."""
        for_each(
            self.env,
            self.search([("share_ids", "!=", False)]),
            lambda rule: rule._create_last_statement(),
            _logger,
            "the reversal statement",
        )

    def _create_last_statement(self):
        """The computed statement of the last period ended, unless it exists or the rule
        starts later."""
        self.ensure_one()
        Statement = self.env["carshare.reversal.statement"]
        today = self._today()
        date_from, date_to = self._last_ended_period(today)
        if date_to < self.date_start or Statement.search_count(
            [
                ("community_id", "=", self.community_id.id),
                ("date_from", "<=", date_to),
                ("date_to", ">=", date_from),
            ],
            limit=1,
        ):
            return Statement
        statement = Statement.with_company(self.company_id).create(
            {"rule_id": self.id, "date_from": date_from, "date_to": date_to}
        )
        statement.action_compute()
        return statement

    def action_view_statements(self):
        check_view(self, MANAGER_GROUP, ACCOUNTANT_GROUP)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reversal Statements"),
            "res_model": "carshare.reversal.statement",
            "view_mode": "list,form",
            "domain": [("rule_id", "=", self.id)],
            "context": {"default_rule_id": self.id},
        }
