import math
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import date_utils, float_round, format_date

from odoo.addons.carshare_fleet.access import (
    MANAGER_GROUP,
    action_write,
    check_action_fields,
    check_groups,
    check_view,
)

# Written by the actions only (settle, reopen, post the entries).
ACTION_FIELDS = ["state", "move_id"]

PERIOD_GRANULARITY = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}


class CarshareNeighboursSettlement(models.Model):
    _name = "carshare.neighbours.settlement"
    _description = "Neighbours' Cost Settlement"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
        domain=[("kind", "=", "neighbours")],
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="From",
        required=True,
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    date_to = fields.Date(
        string="To",
        required=True,
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Settled")],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
    )
    method = fields.Selection(
        [("fixed_scale", "Fixed Scale per km"), ("real_cost", "Real Cost per km")],
        required=True,
        compute="_compute_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    km_scale = fields.Float(
        string="Scale per km",
        digits=(12, 3),
        compute="_compute_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    rounding = fields.Float(
        string="Round Shares To",
        digits=(12, 2),
        compute="_compute_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    total_km = fields.Float(string="Total km", readonly=True, copy=False)
    total_cost = fields.Monetary(
        string="Shared Costs",
        readonly=True,
        copy=False,
        help="Expenses of the period shared between the members (tolls, parking and fines "
        "excluded).",
    )
    cost_per_km = fields.Float(
        string="Real Cost per km",
        digits=(12, 4),
        readonly=True,
        copy=False,
        help="Shared costs of the period divided by its km.",
    )
    line_ids = fields.One2many(
        "carshare.neighbours.settlement.line", "settlement_id", string="Members", copy=False
    )
    transfer_ids = fields.One2many(
        "carshare.neighbours.transfer", "settlement_id", string="Who Owes Whom", copy=False
    )
    trip_ids = fields.Many2many("carshare.neighbours.trip", compute="_compute_period_records")
    expense_ids = fields.Many2many("carshare.neighbours.expense", compute="_compute_period_records")
    advance_ids = fields.Many2many("carshare.neighbours.advance", compute="_compute_period_records")
    post_entries = fields.Boolean(related="community_id.neighbours_post_entries")
    move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, copy=False, check_company=True
    )
    note = fields.Html()

    @api.depends("community_id.name", "date_from", "date_to")
    def _compute_name(self):
        for settlement in self:
            settlement.name = "%s, %s - %s" % (
                settlement.community_id.name or "",
                format_date(self.env, settlement.date_from),
                format_date(self.env, settlement.date_to),
            )

    @api.depends("community_id")
    def _compute_period(self):
        """The last complete period of the community."""
        today = fields.Date.context_today(self)
        for settlement in self:
            granularity = PERIOD_GRANULARITY[settlement.community_id.neighbours_period or "monthly"]
            end = date_utils.start_of(today, granularity) - relativedelta(days=1)
            settlement.date_to = end
            settlement.date_from = date_utils.start_of(end, granularity)

    @api.depends("community_id")
    def _compute_terms(self):
        for settlement in self:
            community = settlement.community_id
            settlement.method = community.neighbours_method or "fixed_scale"
            settlement.km_scale = community.neighbours_km_scale
            settlement.rounding = community.neighbours_rounding or 0.01

    @api.depends("community_id", "date_from", "date_to")
    def _compute_period_records(self):
        for settlement in self:
            domain = settlement._period_domain()
            settlement.trip_ids = self.env["carshare.neighbours.trip"].search(domain)
            settlement.expense_ids = self.env["carshare.neighbours.expense"].search(domain)
            settlement.advance_ids = self.env["carshare.neighbours.advance"].search(domain)

    def _period_domain(self):
        return [
            ("community_id", "=", self.community_id.id),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    @api.constrains("date_from", "date_to", "community_id")
    def _check_period(self):
        for settlement in self:
            if settlement.date_to < settlement.date_from:
                raise ValidationError(
                    self.env._(
                        "The period ends on %(end)s, before it starts on %(start)s.",
                        end=format_date(self.env, settlement.date_to),
                        start=format_date(self.env, settlement.date_from),
                    )
                )
            overlapping = self.search(
                [
                    ("id", "!=", settlement.id),
                    ("community_id", "=", settlement.community_id.id),
                    ("date_from", "<=", settlement.date_to),
                    ("date_to", ">=", settlement.date_from),
                ],
                limit=1,
            )
            if overlapping:
                raise ValidationError(
                    self.env._(
                        "The settlement %(other)s already covers part of this period: the same "
                        "km would be paid twice.",
                        other=overlapping.name,
                    )
                )

    @api.constrains("km_scale", "rounding")
    def _check_terms(self):
        for settlement in self:
            if settlement.km_scale < 0 or settlement.rounding <= 0:
                raise ValidationError(
                    self.env._("The scale cannot be negative and the rounding must be positive.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_action_fields(self, vals, ACTION_FIELDS, create=True)
        return super().create(vals_list)

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self):
        if "done" in self.mapped("state"):
            raise UserError(
                self.env._("A settled period stays on record: reset it to draft to delete it.")
            )

    # -- computation -----------------------------------------------------------------------------

    def action_compute(self):
        """Managers: split the period's costs again."""
        check_groups(self.env, MANAGER_GROUP)
        for settlement in self:
            settlement._check_draft()
            settlement._split_costs()
        return True

    def _check_draft(self):
        if self.state != "draft":
            raise UserError(
                self.env._(
                    "%(settlement)s is settled: reset it to draft first.", settlement=self.name
                )
            )

    def _split_costs(self):
        self._check_splittable()
        km = self._km_by_member()
        expenses = self.expense_ids.filtered(lambda e: not e.driver_own)
        members = (
            self.community_id._neighbours_member_partners()
            | self.trip_ids.partner_id
            | expenses.partner_id
            | self.advance_ids.partner_id
        )
        paid = self._sum_by_partner(expenses)
        advanced = self._sum_by_partner(self.advance_ids)
        if self.method == "fixed_scale":
            due = {partner: self._round(km[partner] * self.km_scale) for partner in members}
        else:
            due = self._real_cost_shares(members, km, expenses)
        # The owners receive what the drivers owe net of what they paid, less the advances
        # already in their hands; with the real cost, the first part is zero.
        owners_due = self._allocate(
            sum(due.values()) - sum(paid.values()) - sum(advanced.values()), self._owner_weights()
        )
        total_cost = sum(expenses.mapped("amount"))
        total_km = sum(km.values())
        self.line_ids.unlink()
        self.write(
            {
                "total_km": total_km,
                "total_cost": total_cost,
                "cost_per_km": total_cost / total_km if self.method == "real_cost" else 0.0,
                "line_ids": [
                    Command.create(
                        {
                            "partner_id": partner.id,
                            "km": km[partner],
                            "amount_due": due.get(partner, 0.0),
                            "amount_paid": paid[partner],
                            "advance_paid": advanced[partner],
                            "owner_amount": owners_due.get(partner, 0.0),
                        }
                    )
                    for partner in members
                ],
            }
        )
        self._list_transfers()

    def _check_splittable(self):
        community = self.community_id
        if not community.neighbours_owner_ids:
            raise UserError(
                self.env._(
                    "Who owns the car? Add its owner, or its joint owners with their shares, to "
                    "the Neighbours tab of %(community)s.",
                    community=community.name,
                )
            )
        community._check_neighbours_owner_shares()
        if not sum(self.trip_ids.mapped("distance_km")):
            raise UserError(
                self.env._(
                    "No km were logged in %(community)s between %(start)s and %(end)s: there is "
                    "nothing to share. Check the logbook or the dates of the period.",
                    community=community.name,
                    start=format_date(self.env, self.date_from),
                    end=format_date(self.env, self.date_to),
                )
            )

    def _km_by_member(self):
        km = defaultdict(float)
        for trip in self.trip_ids:
            km[trip.partner_id] += trip.distance_km
        return km

    @staticmethod
    def _sum_by_partner(records):
        totals = defaultdict(float)
        for record in records:
            totals[record.partner_id] += record.amount
        return totals

    def _owner_weights(self):
        return {owner.partner_id: owner.share for owner in self.community_id.neighbours_owner_ids}

    def _real_cost_shares(self, members, km, expenses):
        """Each cost split by km, in equal parts or kept by the owners, as the community says."""
        community = self.community_id
        equal = expenses.filtered(lambda e: e.cost_type_id in community.neighbours_equal_type_ids)
        kept = expenses.filtered(
            lambda e: e.cost_type_id in community.neighbours_owner_kept_type_ids
        )
        by_km = expenses - equal - kept
        due = defaultdict(float)
        for pool, weights in (
            (by_km, km),
            (equal, dict.fromkeys(members, 1.0)),
            (kept, self._owner_weights()),
        ):
            for partner, amount in self._allocate(sum(pool.mapped("amount")), weights).items():
                due[partner] += amount
        return due

    def _round(self, amount):
        return self.currency_id.round(float_round(amount, precision_rounding=self.rounding))

    def _allocate(self, total, weights):
        """Split ``total`` in proportion to ``weights``, in steps of the rounding.

        The parts add up to ``total`` exactly: the steps left over after rounding down go to
        the largest remainders, and what is left below one step to the largest weight.
        """
        weights = {key: weight for key, weight in weights.items() if weight}
        if not weights:
            return {}
        cents = 10**self.currency_id.decimal_places
        total_cents = round(total * cents)
        step = max(round(self.rounding * cents), 1)
        weight_sum = sum(weights.values())
        exact = {key: total_cents * weight / weight_sum for key, weight in weights.items()}
        parts = {key: math.floor(value / step) * step for key, value in exact.items()}
        left_steps = (total_cents - sum(parts.values())) // step
        by_remainder = sorted(weights, key=lambda key: exact[key] - parts[key], reverse=True)
        for key in by_remainder[:left_steps]:
            parts[key] += step
        parts[max(weights, key=weights.get)] += total_cents - sum(parts.values())
        return {key: part / cents for key, part in parts.items()}

    def _list_transfers(self):
        """Who pays whom: the largest debt is settled with the largest credit first, so that
        n members need at most n - 1 transfers."""
        currency = self.currency_id
        debts = {}
        claims = {}
        for line in self.line_ids:
            if currency.compare_amounts(line.balance, 0.0) < 0:
                debts[line.partner_id] = -line.balance
            elif currency.compare_amounts(line.balance, 0.0) > 0:
                claims[line.partner_id] = line.balance
        transfers = []
        while debts and claims:
            debtor = max(debts, key=debts.get)
            creditor = max(claims, key=claims.get)
            amount = currency.round(min(debts[debtor], claims[creditor]))
            transfers.append(
                Command.create(
                    {"debtor_id": debtor.id, "creditor_id": creditor.id, "amount": amount}
                )
            )
            for balances, partner in ((debts, debtor), (claims, creditor)):
                balances[partner] -= amount
                if currency.is_zero(balances[partner]):
                    del balances[partner]
        self.transfer_ids = [Command.clear(), *transfers]

    # -- lifecycle -------------------------------------------------------------------------------

    def action_done(self):
        """Managers: settle the period."""
        check_groups(self.env, MANAGER_GROUP)
        for settlement in self:
            settlement._check_draft()
            if not settlement.line_ids:
                raise UserError(
                    self.env._(
                        "Compute %(settlement)s before settling it.", settlement=settlement.name
                    )
                )
        action_write(self, {"state": "done"})
        return True

    def action_draft(self):
        """Managers: reopen the period once its entry is cancelled."""
        check_groups(self.env, MANAGER_GROUP)
        for settlement in self:
            if settlement.move_id and settlement.move_id.state != "cancel":
                raise UserError(
                    self.env._(
                        "Cancel the journal entry %(entry)s in Accounting before reopening "
                        "%(settlement)s.",
                        entry=settlement.move_id.name,
                        settlement=settlement.name,
                    )
                )
        action_write(self, {"state": "draft", "move_id": False})
        return True

    def action_post_entries(self):
        """Managers: post the settlement's journal entry."""
        check_groups(self.env, MANAGER_GROUP)
        for settlement in self:
            if settlement.state != "done":
                raise UserError(
                    self.env._(
                        "Settle %(settlement)s before posting its entries.",
                        settlement=settlement.name,
                    )
                )
            if settlement.move_id:
                raise UserError(
                    self.env._(
                        "The entries of %(settlement)s are already posted (%(entry)s).",
                        settlement=settlement.name,
                        entry=settlement.move_id.name,
                    )
                )
            move = self.env["account.move"].create(settlement._prepare_move_values())
            move.action_post()
            action_write(settlement, {"move_id": move.id})
        return True

    def _prepare_move_values(self):
        journal = self.community_id._neighbours_settlement_journal()
        if not journal:
            raise UserError(
                self.env._(
                    "Choose a miscellaneous journal for the settlements of %(community)s.",
                    community=self.community_id.name,
                )
            )
        lines = self.line_ids.filtered(lambda line: not self.currency_id.is_zero(line.balance))
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": self.date_to,
            "ref": self.name,
            "line_ids": [Command.create(line._prepare_move_line_values()) for line in lines],
        }

    def action_view_move(self):
        check_view(self, MANAGER_GROUP)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }
