from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_round

from odoo.addons.carshare_fleet.access import check_view


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    neighbours_owner_ids = fields.One2many(
        "carshare.neighbours.owner",
        "community_id",
        string="Owners",
        help="The owner of the car, or its joint owners with their shares.",
    )
    neighbours_owner_share_total = fields.Float(
        string="Owners' Shares (%)", compute="_compute_neighbours_owner_share_total"
    )

    # Contract terms
    neighbours_conflict_rule = fields.Selection(
        [
            ("first_booked", "Whoever booked first"),
            ("owner", "The owner"),
            ("purpose", "The most important purpose (e.g. going to work)"),
            ("no_alternative", "Whoever has no other way to travel"),
            ("least_user", "Whoever uses the car the least"),
            ("no_lender", "Whoever cannot borrow another car"),
        ],
        string="Priority When Two Need the Car",
        default="first_booked",
        tracking=True,
    )
    neighbours_conflict_note = fields.Text(
        string="Priority Details", help="The rule as written in the contract, with its exceptions."
    )
    neighbours_parking_place = fields.Char(
        string="Parking Place", help="Where the car is parked between two trips."
    )
    neighbours_key_holder_id = fields.Many2one(
        "res.partner",
        string="Key Holder",
        check_company=True,
        help="Who keeps the key (or its spare) when nobody is driving.",
    )
    neighbours_papers_location = fields.Text(
        string="Vehicle Papers",
        help="Where the registration certificate and the insurance certificate are kept.",
    )

    # Cost split
    neighbours_period = fields.Selection(
        [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("yearly", "Yearly")],
        string="Settlement Period",
        default="monthly",
        tracking=True,
        help="How often the accounts are settled: monthly is simplest with a fixed scale, "
        "the real cost is by nature yearly.",
    )
    neighbours_method = fields.Selection(
        [("fixed_scale", "Fixed Scale per km"), ("real_cost", "Real Cost per km")],
        string="Cost Split Method",
        default="fixed_scale",
        tracking=True,
        help="Fixed scale: each driver owes their km times the scale, minus the expenses they "
        "paid, and the owner receives the balance. Real cost: the costs of the period divided "
        "by its km give the cost per km; each driver owes their km times it, minus what they "
        "paid.",
    )
    neighbours_km_scale = fields.Float(
        string="Scale per km",
        digits=(12, 3),
        default=0.33,
        tracking=True,
        help="A car costs 0.36 EUR per km on average, all costs included (ADETEC, 2018); tolls "
        "and parking being paid by each driver, the guide suggests 0.33 EUR per km for a "
        "mid-sized car and less for a small one (0.25 EUR per km).",
    )
    neighbours_equal_type_ids = fields.Many2many(
        "carshare.neighbours.cost.type",
        "carshare_community_equal_cost_type_rel",
        "community_id",
        "cost_type_id",
        string="Costs Split Equally",
        domain=[("driver_own", "=", False)],
        help="With the real cost, these costs (e.g. the depreciation) are split in equal parts "
        "between the members; the others are split by km.",
    )
    neighbours_owner_kept_type_ids = fields.Many2many(
        "carshare.neighbours.cost.type",
        "carshare_community_owner_cost_type_rel",
        "community_id",
        "cost_type_id",
        string="Costs Kept by the Owner",
        domain=[("driver_own", "=", False)],
        help="With the real cost, the owners bear these costs themselves, in proportion to "
        "their shares.",
    )
    neighbours_rounding = fields.Float(
        string="Round Shares To",
        digits=(12, 2),
        default=0.01,
        help="Each member's share of the costs is rounded to this amount (0.01 for cents, "
        "1.00 for whole euros as in the guide's examples); the shares always add up to the "
        "costs.",
    )

    # Advances
    neighbours_cost_per_km_estimate = fields.Float(
        string="Estimated Cost per km",
        digits=(12, 3),
        default=0.30,
        help="Used for the advances, e.g. last year's real cost per km.",
    )
    neighbours_fuel_price = fields.Float(
        string="Fuel Price per Litre", digits=(12, 3), default=1.60
    )
    neighbours_fuel_consumption = fields.Float(
        string="Consumption (l/100 km)", digits=(12, 2), default=6.0
    )
    neighbours_fuel_cost_per_km = fields.Float(
        string="Fuel Cost per km",
        digits=(12, 3),
        compute="_compute_neighbours_advance_rate",
        help="Counted apart from the advances: the drivers fill the tank in turn.",
    )
    neighbours_advance_rate = fields.Float(
        string="Advance per km",
        digits=(12, 2),
        compute="_compute_neighbours_advance_rate",
        help="Estimated cost per km minus the fuel per km, rounded to the cent.",
    )

    # Accounting
    neighbours_post_entries = fields.Boolean(
        string="Accounting Entries",
        help="Post each settlement as a journal entry on the members' receivable and payable "
        "accounts, to be reconciled with their payments.",
    )
    neighbours_journal_id = fields.Many2one(
        "account.journal",
        string="Settlement Journal",
        check_company=True,
        domain=[("type", "=", "general")],
    )
    neighbours_trip_count = fields.Integer(compute="_compute_neighbours_counts")
    neighbours_settlement_count = fields.Integer(compute="_compute_neighbours_counts")

    @api.depends("neighbours_owner_ids.share")
    def _compute_neighbours_owner_share_total(self):
        for community in self:
            community.neighbours_owner_share_total = sum(
                community.neighbours_owner_ids.mapped("share")
            )

    @api.depends(
        "neighbours_cost_per_km_estimate", "neighbours_fuel_price", "neighbours_fuel_consumption"
    )
    def _compute_neighbours_advance_rate(self):
        for community in self:
            fuel = community.neighbours_fuel_price * community.neighbours_fuel_consumption / 100
            community.neighbours_fuel_cost_per_km = fuel
            community.neighbours_advance_rate = max(
                float_round(community.neighbours_cost_per_km_estimate - fuel, precision_digits=2),
                0.0,
            )

    def _compute_neighbours_counts(self):
        trips = dict(
            self.env["carshare.neighbours.trip"]._read_group(
                [("community_id", "in", self.ids)], ["community_id"], ["__count"]
            )
        )
        settlements = dict(
            self.env["carshare.neighbours.settlement"]._read_group(
                [("community_id", "in", self.ids)], ["community_id"], ["__count"]
            )
        )
        for community in self:
            community.neighbours_trip_count = trips.get(community, 0)
            community.neighbours_settlement_count = settlements.get(community, 0)

    @api.constrains("neighbours_owner_ids")
    def _check_neighbours_owner_shares(self):
        for community in self.filtered("neighbours_owner_ids"):
            total = community.neighbours_owner_share_total
            if float_compare(total, 100.0, precision_digits=2):
                raise ValidationError(
                    self.env._(
                        "The owners' shares of %(community)s add up to %(total)s %%: together "
                        "they must own the whole car, 100 %%.",
                        community=community.name,
                        total=round(total, 2),
                    )
                )

    @api.constrains(
        "neighbours_km_scale",
        "neighbours_rounding",
        "neighbours_cost_per_km_estimate",
        "neighbours_fuel_price",
        "neighbours_fuel_consumption",
    )
    def _check_neighbours_rates(self):
        for community in self:
            if community.neighbours_rounding <= 0:
                raise ValidationError(
                    self.env._(
                        "The rounding of the shares of %(community)s must be positive, "
                        "e.g. 0.01.",
                        community=community.name,
                    )
                )
            if (
                min(
                    community.neighbours_km_scale,
                    community.neighbours_cost_per_km_estimate,
                    community.neighbours_fuel_price,
                    community.neighbours_fuel_consumption,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The scale, costs and consumption of %(community)s cannot be negative.",
                        community=community.name,
                    )
                )

    @api.constrains("neighbours_equal_type_ids", "neighbours_owner_kept_type_ids")
    def _check_neighbours_cost_types(self):
        for community in self:
            both = community.neighbours_equal_type_ids & community.neighbours_owner_kept_type_ids
            if both:
                raise ValidationError(
                    self.env._(
                        "%(types)s cannot be both split equally and kept by the owner.",
                        types=", ".join(both.mapped("name")),
                    )
                )

    def _neighbours_advance(self, km_per_year):
        """The guide's quarterly advance for a driver expected to drive ``km_per_year``."""
        self.ensure_one()
        return self.currency_id.round(self.neighbours_advance_rate * km_per_year / 4)

    def _neighbours_member_partners(self):
        """Owners first, then the other drivers."""
        self.ensure_one()
        owners = self.neighbours_owner_ids.partner_id
        drivers = self.membership_ids.filtered(lambda m: m.state == "active").partner_id
        return owners | (drivers - owners)

    def _neighbours_is_member(self, partner):
        self.ensure_one()
        return partner in self.neighbours_owner_ids.partner_id | self.membership_ids.partner_id

    def _neighbours_settlement_journal(self):
        self.ensure_one()
        return self.neighbours_journal_id or self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "general")], limit=1
        )

    def _neighbours_action(self, xmlid):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("community_id", "=", self.id)]
        action["context"] = {"default_community_id": self.id}
        return action

    def action_view_neighbours_trips(self):
        check_view(self)
        return self._neighbours_action("carshare_neighbours.action_carshare_neighbours_trip")

    def action_view_neighbours_settlements(self):
        check_view(self)
        return self._neighbours_action("carshare_neighbours.action_carshare_neighbours_settlement")
