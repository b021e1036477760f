from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount

from ..access import check_view

NON_NEGATIVE_FIELDS = [
    "min_lead_minutes",
    "horizon_days",
    "max_upcoming_bookings",
    "buffer_minutes",
    "grace_minutes",
    "deposit_amount",
    "release_delay_hours",
    "max_loan_days",
    "driver_min_age",
    "max_responsible_claims",
    "claims_window_months",
    "vehicle_max_weight",
    "vehicle_max_seats",
    "vehicle_max_value",
]


class CarshareCommunity(models.Model):
    _name = "carshare.community"
    _description = "Carsharing Community"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(
        [
            ("public_body", "Public Body"),
            ("company", "Company"),
            ("neighbours", "Neighbours"),
        ],
        required=True,
        default="public_body",
        tracking=True,
        help="Public body: a collectivity shares its fleet with its agents and residents. "
        "Company: a company shares its fleet with its staff. "
        "Neighbours: private cars shared between neighbours (peer-to-peer insurance limits "
        "apply to the vehicles).",
    )
    description = fields.Html()
    station_ids = fields.Many2many(
        "carshare.station",
        "carshare_community_station_rel",
        "community_id",
        "station_id",
        string="Stations",
        check_company=True,
    )
    vehicle_ids = fields.Many2many(
        "fleet.vehicle",
        "carshare_community_vehicle_rel",
        "community_id",
        "vehicle_id",
        string="Vehicles",
        check_company=True,
    )
    membership_ids = fields.One2many("carshare.membership", "community_id", string="Memberships")
    station_count = fields.Integer(compute="_compute_counts")
    vehicle_count = fields.Integer(compute="_compute_counts")
    membership_count = fields.Integer(compute="_compute_counts")

    # Booking rules
    min_duration = fields.Float(
        string="Minimum Duration", default=0.5, tracking=True, help="In hours."
    )
    max_duration = fields.Float(
        string="Maximum Duration", default=72.0, tracking=True, help="In hours."
    )
    min_lead_minutes = fields.Integer(
        string="Minimum Notice (minutes)",
        default=5,
        tracking=True,
        help="A booking starts at least this many minutes after it is made.",
    )
    horizon_days = fields.Integer(
        string="Booking Horizon (days)",
        default=90,
        tracking=True,
        help="How many days ahead one may book.",
    )
    max_upcoming_bookings = fields.Integer(
        string="Maximum Upcoming Bookings",
        default=3,
        tracking=True,
        help="Per driver, in this community.",
    )
    buffer_minutes = fields.Integer(
        string="Buffer After Booking (minutes)",
        default=30,
        tracking=True,
        help="Time kept free after each booking, e.g. to charge the vehicle.",
    )
    grace_minutes = fields.Integer(
        string="Grace Period (minutes)",
        default=15,
        tracking=True,
        help="Tolerance for a late pick-up (before a no-show) and for a late return.",
    )
    deposit_amount = fields.Monetary(
        string="Deposit",
        default=150.0,
        tracking=True,
        help="Amount held on the driver's card for each booking.",
    )
    priority_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Priority Hours",
        check_company=True,
        tracking=True,
        help="Office hours during which agents have priority over residents.",
    )
    release_delay_hours = fields.Float(
        string="Release Delay (hours)",
        default=24.0,
        tracking=True,
        help="Residents may book a free slot of the priority hours when it starts within "
        "this many hours.",
    )
    max_loan_days = fields.Integer(
        string="Maximum Loan (days)",
        default=30,
        tracking=True,
        help="A loan never exceeds this many days.",
    )

    # Drivers
    driver_min_age = fields.Integer(
        string="Minimum Driver Age", default=18, tracking=True, help="In years."
    )
    max_responsible_claims = fields.Integer(
        string="Maximum Responsible Claims",
        default=2,
        tracking=True,
        help="A driver with more responsible claims over the claims window may not book.",
    )
    claims_window_months = fields.Integer(
        string="Claims Window (months)",
        default=12,
        tracking=True,
        help="Responsible claims are counted over this many months.",
    )

    driver_verification_required = fields.Boolean(
        string="Drivers Must Be Verified",
        compute="_compute_driver_verification_required",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Drivers book only once a manager has verified their documents; a driver who "
        "changes them in the portal waits for a new verification.",
    )

    # Peer-to-peer insurance limits, enforced in neighbours' communities
    vehicle_max_weight = fields.Integer(
        string="Maximum Vehicle Weight (kg)",
        default=3500,
        tracking=True,
        help="Gross vehicle weight allowed in a neighbours' community.",
    )
    vehicle_max_seats = fields.Integer(
        string="Maximum Seats",
        default=9,
        tracking=True,
        help="Number of seats allowed in a neighbours' community.",
    )
    vehicle_max_value = fields.Monetary(
        string="Vehicle Value Limit",
        default=30000.0,
        tracking=True,
        help="In a neighbours' community, a vehicle's catalog value must stay under this amount.",
    )

    @api.depends("station_ids", "vehicle_ids", "membership_ids")
    def _compute_counts(self):
        for community in self:
            community.station_count = len(community.station_ids)
            community.vehicle_count = len(community.vehicle_ids)
            community.membership_count = len(community.membership_ids)

    @api.depends("kind")
    def _compute_driver_verification_required(self):
        for community in self:
            community.driver_verification_required = community.kind == "public_body"

    @api.constrains("min_duration", "max_duration")
    def _check_durations(self):
        for community in self:
            if community.min_duration <= 0:
                raise ValidationError(
                    self.env._(
                        "The minimum duration of community %(community)s must be positive.",
                        community=community.name,
                    )
                )
            if community.min_duration > community.max_duration:
                raise ValidationError(
                    self.env._(
                        "The minimum duration of community %(community)s cannot exceed its "
                        "maximum duration.",
                        community=community.name,
                    )
                )

    def _non_negative_fields(self):
        """The settings that cannot be negative; addons that add settings extend the list."""
        return list(NON_NEGATIVE_FIELDS)

    @api.constrains(lambda self: self._non_negative_fields())
    def _check_non_negative(self):
        for community in self:
            for name in self._non_negative_fields():
                if community[name] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(rule)s cannot be negative (community %(community)s).",
                            rule=self._fields[name]._description_string(self.env),
                            community=community.name,
                        )
                    )

    @api.constrains(
        "kind", "vehicle_ids", "vehicle_max_weight", "vehicle_max_seats", "vehicle_max_value"
    )
    def _check_vehicle_limits(self):
        self.vehicle_ids._check_carshare_insurance_limits()

    def _carshare_vehicle_limit_errors(self, vehicle):
        """Reasons why ``vehicle`` may not serve this neighbours' community."""
        self.ensure_one()
        if self.kind != "neighbours":
            return []
        errors = []
        if vehicle.carshare_category == "camper":
            errors.append(self.env._("camping-cars are excluded"))
        if vehicle.carshare_weight_kg > self.vehicle_max_weight:
            errors.append(
                self.env._("it weighs more than %(weight)s kg", weight=self.vehicle_max_weight)
            )
        if vehicle.seats > self.vehicle_max_seats:
            errors.append(
                self.env._("it has more than %(seats)s seats", seats=self.vehicle_max_seats)
            )
        if vehicle.car_value and vehicle.car_value >= self.vehicle_max_value:
            errors.append(
                self.env._(
                    "its value is not under %(value)s",
                    value=format_amount(self.env, self.vehicle_max_value, self.currency_id),
                )
            )
        return errors

    def action_view_memberships(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_fleet.action_carshare_membership"
        )
        action["domain"] = [("community_id", "=", self.id)]
        action["context"] = {"default_community_id": self.id}
        return action
