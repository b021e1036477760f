import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_datetime, format_duration, mute_logger

from odoo.addons.carshare_fleet.access import (
    MANAGER_GROUP,
    USER_GROUP,
    action_write,
    check_action_fields,
    check_groups,
    check_view,
)
from odoo.addons.queue_job.job import identity_exact

ACTIVE_STATES = ("confirmed", "ongoing")
NOTIFY_CHANNEL = "root.carshare"
OVERLAP_CONSTRAINT = "carshare_booking_vehicle_no_overlap"
# Writing these may make two active bookings of a vehicle overlap.
RANGE_FIELDS = {"state", "vehicle_id", "date_start", "date_end", "buffer_minutes"}
SLOT_FIELDS = {"vehicle_id", "date_start", "date_end"}
# The first key of the per-vehicle advisory locks (the second is the vehicle's id): a two-key
# lock, so that it never meets queue_job's and the bridge's one-key locks.
VEHICLE_LOCK_SPACE = SQL("hashtext('carshare.booking.vehicle')")
# Beyond any community's horizon: what is further is a typing error, refused before computing.
DATE_SANITY = timedelta(days=3653)
# Written by the lifecycle's actions only (confirm, start, return, cancel, transfer).
ACTION_FIELDS = [
    "state",
    "access_code",
    "date_pickup",
    "date_return",
    "date_cancelled",
    "late_minutes",
    "transfer_reason",
    "transferred_from_vehicle_id",
    "distance_check",
    "distance_check_reason",
]


# The device event a pick-up or return comes from: its own time (a box buffers its events while
# offline) and why its distance is in doubt. A context variable, not a context key, since the
# client sends the context of its calls (docs/security.md).
_DEVICE_EVENT = ContextVar("carshare_device_event", default=None)


@contextmanager
def device_event(moment, doubt=None):
    """Start or return bookings in this block as told by a device's event of ``moment``."""
    token = _DEVICE_EVENT.set({"moment": moment, "doubt": doubt})
    try:
        yield
    finally:
        _DEVICE_EVENT.reset(token)


class CarshareBooking(models.Model):
    _name = "carshare.booking"
    _description = "Carsharing Booking"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    vehicle_id = fields.Many2one(
        "fleet.vehicle",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        ondelete="restrict",
        domain="[('carshare_shared', '=', True), ('carshare_community_ids', 'in', community_id)]",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Driver",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
    )
    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    station_id = fields.Many2one(
        "carshare.station",
        compute="_compute_station_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
        check_company=True,
        help="Where the vehicle is picked up and returned; by default the vehicle's station.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Manager",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Told about late returns and transfers; by default the community's responsible, "
        "else the user who made the booking.",
    )
    date_start = fields.Datetime(string="Start", required=True, tracking=True)
    date_end = fields.Datetime(string="End", required=True, tracking=True)
    duration_hours = fields.Float(
        string="Booked Hours", compute="_compute_duration_hours", store=True, aggregator="sum"
    )
    buffer_minutes = fields.Integer(
        string="Buffer (minutes)",
        compute="_compute_buffer_minutes",
        store=True,
        precompute=True,
        help="Kept free after the booking, copied from the community when booking.",
    )
    usage = fields.Selection(
        [("pro", "Professional"), ("perso", "Personal")],
        required=True,
        default="perso",
        tracking=True,
        help="Professional use is billed to the employer, personal use to the driver.",
    )
    employer_id = fields.Many2one(
        "res.partner",
        compute="_compute_employer_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        domain=[("is_company", "=", True)],
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("confirmed", "Confirmed"),
            ("ongoing", "Ongoing"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
            ("no_show", "No-Show"),
        ],
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
    )
    access_code = fields.Char(
        readonly=True, copy=False, help="Typed on the key box or the vehicle to open it."
    )
    access_valid_from = fields.Datetime(
        compute="_compute_access_validity", store=True, precompute=True
    )
    access_valid_until = fields.Datetime(
        compute="_compute_access_validity", store=True, precompute=True
    )
    date_pickup = fields.Datetime(string="Picked Up On", readonly=True, copy=False)
    date_return = fields.Datetime(string="Returned On", readonly=True, copy=False)
    date_cancelled = fields.Datetime(string="Cancelled On", readonly=True, copy=False)
    odometer_start = fields.Float(copy=False)
    odometer_end = fields.Float(copy=False)
    distance_km = fields.Float(
        string="Distance (km)", compute="_compute_distance_km", store=True, aggregator="sum"
    )
    distance_check = fields.Selection(
        [("held", "To Validate"), ("validated", "Validated")],
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="To validate: the distance read at return is impossible (odometer backwards, "
        "average speed above the community's bound, no reading): it is not invoiced until a "
        "manager corrects the odometer if need be and validates it.",
    )
    distance_check_reason = fields.Text(readonly=True, copy=False)
    energy_start = fields.Float(string="Energy at Pick-Up (%)", copy=False)
    energy_end = fields.Float(string="Energy at Return (%)", copy=False)
    energy_used = fields.Float(
        string="Energy Used (%)", compute="_compute_energy_used", store=True, aggregator="sum"
    )
    expected_km = fields.Integer(
        string="Expected Distance (km)",
        compute="_compute_expected_km",
        store=True,
        readonly=False,
        precompute=True,
        help="Estimated from the duration and the community's expected kilometres per hour; "
        "a vehicle whose remaining range is shorter is swapped before the start.",
    )
    late_minutes = fields.Integer(
        string="Late (minutes)",
        readonly=True,
        copy=False,
        aggregator="sum",
        help="Minutes after the booked end, counted once the grace period is exceeded.",
    )
    inspection_ids = fields.One2many("carshare.inspection", "booking_id", string="Inspections")
    inspection_count = fields.Integer(compute="_compute_inspection_count")
    transfer_reason = fields.Selection(
        [
            ("late", "Previous booking late"),
            ("maintenance", "Vehicle in maintenance"),
            ("battery", "Not charged enough"),
            ("manual", "Moved by a manager"),
        ],
        readonly=True,
        copy=False,
        tracking=True,
    )
    transferred_from_vehicle_id = fields.Many2one(
        "fleet.vehicle", string="Transferred From", readonly=True, copy=False, tracking=True
    )
    reminder_start_sent = fields.Boolean(readonly=True, copy=False)
    reminder_end_sent = fields.Boolean(readonly=True, copy=False)
    late_notified = fields.Boolean(readonly=True, copy=False)

    # -- computes --------------------------------------------------------------------------------

    @api.depends("vehicle_id")
    def _compute_station_id(self):
        for booking in self:
            booking.station_id = booking.vehicle_id.carshare_station_id

    @api.depends("community_id")
    def _compute_user_id(self):
        for booking in self:
            booking.user_id = booking.community_id.user_id or booking.user_id or self.env.user

    @api.depends("date_start", "date_end")
    def _compute_duration_hours(self):
        for booking in self:
            booking.duration_hours = booking._hours_between(booking.date_start, booking.date_end)

    @api.depends("community_id")
    def _compute_buffer_minutes(self):
        for booking in self:
            booking.buffer_minutes = booking.community_id.buffer_minutes

    @api.depends("partner_id", "community_id", "usage")
    def _compute_employer_id(self):
        for booking in self:
            if booking.usage == "pro":
                booking.employer_id = booking._membership().employer_id or booking.employer_id
            else:
                booking.employer_id = False

    @api.depends("date_start", "date_end", "community_id")
    def _compute_access_validity(self):
        for booking in self:
            community = booking.community_id
            booking.access_valid_from = booking.date_start and booking.date_start - timedelta(
                minutes=community.access_lead_minutes
            )
            booking.access_valid_until = booking.date_end and booking.date_end + timedelta(
                minutes=community.grace_minutes
            )

    @api.depends("odometer_start", "odometer_end")
    def _compute_distance_km(self):
        for booking in self:
            booking.distance_km = max(booking.odometer_end - booking.odometer_start, 0.0)

    @api.depends("energy_start", "energy_end", "state")
    def _compute_energy_used(self):
        for booking in self:
            booking.energy_used = (
                booking.energy_start - booking.energy_end if booking.state == "done" else 0.0
            )

    @api.depends("date_start", "date_end", "community_id")
    def _compute_expected_km(self):
        for booking in self:
            booking.expected_km = round(
                booking.duration_hours * booking.community_id.expected_km_per_hour
            )

    def _compute_inspection_count(self):
        counts = dict(
            self.env["carshare.inspection"]._read_group(
                [("booking_id", "in", self.ids)], ["booking_id"], ["__count"]
            )
        )
        for booking in self:
            booking.inspection_count = counts.get(booking, 0)

    # -- database guard --------------------------------------------------------------------------

    def init(self):
        """Keep active bookings of a vehicle from overlapping, buffer included, in PostgreSQL."""
        cr = self.env.cr
        cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        # GREATEST keeps the range valid until the ORM refuses an end before the start.
        cr.execute(
            """
            ALTER TABLE carshare_booking ADD COLUMN IF NOT EXISTS blocked_range tsrange
                GENERATED ALWAYS AS (tsrange(
                    date_start,
                    GREATEST(date_start,
                             date_end + COALESCE(buffer_minutes, 0) * interval '1 minute'),
                    '[)')) STORED
            """
        )
        cr.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [OVERLAP_CONSTRAINT])
        if not cr.fetchone():
            cr.execute(
                SQL(
                    """
                    ALTER TABLE carshare_booking ADD CONSTRAINT %s
                        EXCLUDE USING gist (vehicle_id WITH =, blocked_range WITH &&)
                        WHERE (state IN ('confirmed', 'ongoing'))
                    """,
                    SQL.identifier(OVERLAP_CONSTRAINT),
                )
            )
        # Availability looks up the bookings of many vehicles by time alone.
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS carshare_booking_active_range_idx
                ON carshare_booking USING gist (blocked_range)
                WHERE state IN ('confirmed', 'ongoing')
            """
        )
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS carshare_booking_active_code_uniq
                ON carshare_booking (station_id, access_code)
                WHERE state IN ('confirmed', 'ongoing')
            """
        )

    @contextmanager
    def _guard_overlap(self):
        """Turn the exclusion constraint's refusal into a message the driver understands."""
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                yield
        except psycopg2.errors.ExclusionViolation as error:
            if error.diag.constraint_name != OVERLAP_CONSTRAINT:
                raise
            raise ValidationError(self._unavailable_message()) from None

    def _unavailable_message(self):
        return self.env._("This vehicle is no longer available for this slot.")

    @api.model
    def _lock_vehicles(self, vehicle_ids):
        """Wait for the other transactions checking or writing a slot of these vehicles, then
        hold them off until this one ends. The locks of one call are taken in the vehicles' id
        order, so that two transactions locking the same vehicles at once (a transfer's two)
        never wait for each other; a transaction that locks again later (the transfer cron,
        booking after booking) may still, and PostgreSQL then detects the cycle.

        Serialised this way, concurrent confirmations of one slot no longer deadlock inside
        the exclusion constraint: the later one finds the earlier one committed. Its snapshot
        (REPEATABLE READ) may predate that commit, so its own early check may pass: the
        constraint refuses the write then, and ``_guard_overlap`` says why.
        """
        ids = sorted({vid for vid in vehicle_ids if vid})
        if ids:
            self.env.cr.execute(
                SQL(
                    "SELECT pg_advisory_xact_lock(%s, v) FROM unnest(%s::int[]) v ORDER BY v",
                    VEHICLE_LOCK_SPACE,
                    ids,
                )
            )

    def _slot_lock_ids(self, vals):
        """The vehicles whose slots ``vals`` may take: those of the bookings it makes active,
        or moves while they are active, and the vehicle it moves them to."""
        becoming_active = vals.get("state") in ACTIVE_STATES
        moving = not (SLOT_FIELDS | {"buffer_minutes"}).isdisjoint(vals)
        if not (becoming_active or moving):
            return []
        bookings = self.filtered(
            lambda b: (becoming_active and b.state not in ACTIVE_STATES)
            or (moving and (b.state in ACTIVE_STATES or becoming_active))
        )
        if not bookings:
            return []
        return [*bookings.vehicle_id.ids, vals.get("vehicle_id")]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_action_fields(self, vals, ACTION_FIELDS, create=True)
            self._check_date_values(vals)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("carshare.booking") or "/"
        self._lock_vehicles(
            vals.get("vehicle_id") for vals in vals_list if vals.get("state") in ACTIVE_STATES
        )
        with self._guard_overlap():
            return super().create(vals_list)

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        self._check_date_values(vals)
        self._check_closed_unchanged(vals)
        if RANGE_FIELDS.isdisjoint(vals):
            return super().write(vals)
        self._lock_vehicles(self._slot_lock_ids(vals))
        before = {
            booking: (booking.state, booking.date_start, booking.date_end) for booking in self
        }
        with self._guard_overlap():
            result = super().write(vals)
            if not SLOT_FIELDS.isdisjoint(vals):
                for booking in self.filtered(lambda b: b.state in ACTIVE_STATES):
                    state, old_start, old_end = before[booking]
                    if state in ACTIVE_STATES:
                        booking._check_change_rules(old_start, old_end)
                    else:
                        booking._check_slot_rules()
            return result

    @api.model
    def _check_date_values(self, vals):
        """Refuse dates that are not dates, or so far off (year 9999) that the computations
        around them would overflow, before anything is computed from them; the community's
        horizon then applies its own, narrower rule."""
        today = fields.Datetime.now()
        for fname in ("date_start", "date_end"):
            if not vals.get(fname):
                continue
            try:
                value = fields.Datetime.to_datetime(vals[fname])
            except (TypeError, ValueError):
                value = None
            if not value or not today - DATE_SANITY <= value <= today + DATE_SANITY:
                raise ValidationError(
                    self.env._(
                        "%(field)s must be a date within ten years of today.",
                        field=self._fields[fname]._description_string(self.env),
                    )
                )

    def _check_closed_unchanged(self, vals):
        """A finished, cancelled or missed booking is billed from what it records: only a
        fleet manager corrects it (and reprices it)."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        if all(fname.startswith(("message_", "activity_")) for fname in vals):
            return
        if any(booking.state in ("done", "cancelled", "no_show") for booking in self):
            raise AccessError(
                self.env._("Only a fleet manager may change a finished or cancelled booking.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        if any(booking.state in ("confirmed", "ongoing", "done") for booking in self):
            raise UserError(
                self.env._("Cancel a booking instead of deleting it; finished ones stay on record.")
            )

    # -- rules -----------------------------------------------------------------------------------

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for booking in self:
            if booking.date_end <= booking.date_start:
                raise ValidationError(self.env._("A booking must end after it starts."))

    @api.constrains("odometer_start", "odometer_end", "energy_start", "energy_end")
    def _check_readings(self):
        inspections = self.env["carshare.inspection"]
        for booking in self:
            inspections._check_reading_bounds(booking.odometer_start, booking.energy_start)
            inspections._check_reading_bounds(booking.odometer_end, booking.energy_end)

    @api.constrains("usage", "employer_id")
    def _check_employer(self):
        for booking in self:
            if booking.usage == "pro" and not booking.employer_id:
                raise ValidationError(
                    self.env._("A professional booking needs the employer to bill.")
                )

    @api.constrains("date_start", "date_end", "community_id")
    def _check_loan_length(self):
        for booking in self:
            max_days = booking.community_id.max_loan_days
            if max_days and booking.date_end - booking.date_start > timedelta(days=max_days):
                raise ValidationError(
                    self.env._("A loan cannot exceed %(days)s days.", days=max_days)
                )

    def _check_booking_rules(self):
        """Every rule a new booking obeys; ``action_confirm`` enforces them."""
        for booking in self:
            booking._check_lead_time()
            booking._check_driver()
            booking._check_upcoming_limit()
            booking._check_priority()
        self._check_slot_rules()

    def _check_change_rules(self, old_start, old_end):
        """The rules of a new booking, applied to what moving an active booking from
        ``old_start``-``old_end`` adds to it: the lead time for a start moved before the pick-up,
        the driver's eligibility at a new end, the horizon and the priority hours of each added
        interval; the slot rules on the whole booking."""
        self.ensure_one()
        started = self.state == "ongoing" or old_start <= fields.Datetime.now()
        if self.date_start != old_start and not started:
            self._check_lead_time()
        if self.date_end != old_end:
            self._check_driver()
        for date_from, date_to in self._added_intervals(old_start, old_end):
            self._check_horizon(date_from)
            self._check_priority(date_from, date_to)
        self._check_slot_rules()

    def _added_intervals(self, old_start, old_end):
        """The parts of the booking's slot outside ``old_start``-``old_end``."""
        intervals = []
        if self.date_start < old_start:
            intervals.append((self.date_start, min(old_start, self.date_end)))
        if self.date_end > old_end:
            intervals.append((max(old_end, self.date_start), self.date_end))
        return intervals

    def _check_slot_rules(self):
        """Rules on the vehicle and the slot, also enforced when an active booking moves."""
        for booking in self:
            booking._check_duration()
            booking._check_station_hours()
            booking._check_vehicle()
            booking._check_overlap()

    def _check_duration(self):
        community = self.community_id
        if not community.min_duration <= self.duration_hours <= community.max_duration:
            raise ValidationError(
                self.env._(
                    "A booking lasts between %(min)s and %(max)s hours (hh:mm).",
                    min=format_duration(community.min_duration),
                    max=format_duration(community.max_duration),
                )
            )

    def _check_lead_time(self):
        community = self.community_id
        now = fields.Datetime.now()
        if self.date_start < now:
            raise ValidationError(self.env._("A booking cannot start in the past."))
        if self.date_start < now + timedelta(minutes=community.min_lead_minutes):
            raise ValidationError(
                self.env._(
                    "A booking must start at least %(minutes)s minutes from now.",
                    minutes=community.min_lead_minutes,
                )
            )
        self._check_horizon(self.date_start)

    def _check_horizon(self, date_from):
        """Bookings, and what a change adds to them, start within the community's horizon."""
        community = self.community_id
        horizon = fields.Datetime.now() + timedelta(days=community.horizon_days)
        if community.horizon_days and date_from > horizon:
            raise ValidationError(
                self.env._(
                    "Bookings open %(days)s days ahead: choose a start before %(date)s.",
                    days=community.horizon_days,
                    date=self._format_dt(horizon),
                )
            )

    def _check_station_hours(self):
        station = self.station_id
        if not station:
            return
        if station._is_closed_at(self.date_start):
            raise ValidationError(
                self.env._(
                    "The station %(station)s is closed at the pick-up time (%(date)s).",
                    station=station.name,
                    date=self._format_dt(self.date_start),
                )
            )
        if station._is_closed_at(self.date_end):
            raise ValidationError(
                self.env._(
                    "The station %(station)s is closed at the return time (%(date)s).",
                    station=station.name,
                    date=self._format_dt(self.date_end),
                )
            )

    def _check_driver(self):
        reasons = self.partner_id._carshare_ineligibility_reasons(self.community_id, self.date_end)
        if reasons:
            raise ValidationError(
                self.env._(
                    "%(driver)s cannot book: %(reasons)s",
                    driver=self.partner_id.name,
                    reasons=" ".join(reasons),
                )
            )
        if self._membership().state != "active":
            raise ValidationError(
                self.env._(
                    "%(driver)s is not an active member of %(community)s.",
                    driver=self.partner_id.name,
                    community=self.community_id.name,
                )
            )

    def _check_upcoming_limit(self):
        limit = self.community_id.max_upcoming_bookings
        if not limit:
            return
        upcoming = self.search_count(
            [
                ("id", "!=", self.id),
                ("partner_id", "=", self.partner_id.id),
                ("community_id", "=", self.community_id.id),
                ("state", "in", ACTIVE_STATES),
                ("date_end", ">", fields.Datetime.now()),
            ]
        )
        if upcoming >= limit:
            raise ValidationError(
                self.env._(
                    "You already have %(count)s upcoming bookings in %(community)s, the most "
                    "allowed: wait until one ends or cancel one.",
                    count=upcoming,
                    community=self.community_id.name,
                )
            )

    def _check_priority(self, date_from=None, date_to=None):
        """Residents take office-hours slots only once the release delay has started.

        On the booking's slot, or on ``date_from``-``date_to`` (what a change adds).
        """
        date_from, date_to = date_from or self.date_start, date_to or self.date_end
        community = self.community_id
        if self._membership().audience != "resident" or not self._in_priority_hours(
            date_from, date_to
        ):
            return
        release = date_from - timedelta(hours=community.release_delay_hours)
        if fields.Datetime.now() < release:
            raise ValidationError(
                self.env._(
                    "This slot is within the agents' priority hours: residents may book it "
                    "from %(date)s, if it is still free.",
                    date=self._format_dt(release),
                )
            )

    def _in_priority_hours(self, date_from=None, date_to=None):
        calendar = self.community_id.priority_calendar_id
        if not calendar:
            return False
        start = pytz.utc.localize(date_from or self.date_start)
        end = pytz.utc.localize(date_to or self.date_end)
        intervals = calendar._work_intervals_batch(start, end)[False]
        return any(begin < stop for begin, stop, _attendance in intervals)

    def _check_vehicle(self):
        vehicle = self.vehicle_id
        if not vehicle.carshare_shared:
            raise ValidationError(
                self.env._("%(vehicle)s is not shared.", vehicle=vehicle.display_name)
            )
        if self.community_id not in vehicle.carshare_community_ids:
            raise ValidationError(
                self.env._(
                    "%(vehicle)s is not available to %(community)s.",
                    vehicle=vehicle.display_name,
                    community=self.community_id.name,
                )
            )
        if vehicle.carshare_state in ("maintenance", "out_of_service") or (
            vehicle._carshare_maintenance_overlaps(self.date_start, self.date_end)
        ):
            raise ValidationError(
                self.env._(
                    "%(vehicle)s is in maintenance during this slot.",
                    vehicle=vehicle.display_name,
                )
            )

    def _check_overlap(self):
        """Friendly early check; the exclusion constraint is the real guard against races."""
        if self.env["carshare.availability"]._slot_taken(
            self.vehicle_id, self.date_start, self.date_end, self.buffer_minutes, self
        ):
            raise ValidationError(self._unavailable_message())

    # -- lifecycle -------------------------------------------------------------------------------
    # The transitions below are the only writers of ``state``: each sets the state and its date,
    # then calls its hook once, on the bookings it changed. Extend the hooks, not write():
    #   action_confirm    draft -> confirmed               _on_booking_confirmed()
    #   action_start      confirmed -> ongoing             _on_booking_started()
    #   action_return     ongoing -> done                  _on_booking_returned()
    #   action_cancel     draft, confirmed, ongoing -> cancelled  _on_booking_cancelled(previous)
    #   _action_no_show   confirmed -> no_show             _on_booking_no_show()
    # The three endings' hooks call _on_booking_closed(previous), what every ending shares.

    def action_confirm(self):
        """Desk agents and managers (the portal books for the driver, in superuser mode)."""
        check_groups(self.env, USER_GROUP)
        self._lock_vehicles(self.vehicle_id.ids)
        for booking in self:
            if booking.state != "draft":
                raise UserError(
                    self.env._("Booking %(booking)s is not a draft.", booking=booking.name)
                )
            booking._check_booking_rules()
            action_write(booking, {"state": "confirmed", "access_code": booking._new_access_code()})
            booking.with_delay(
                channel=NOTIFY_CHANNEL,
                identity_key=identity_exact,
                description=self.env._(
                    "Send the confirmation of booking %(booking)s", booking=booking.name
                ),
            )._job_notify_confirmed()
        self._on_booking_confirmed()
        return True

    def _on_booking_confirmed(self):
        """Hook: these drafts are confirmed, their access codes given."""

    def _on_booking_started(self):
        """Hook: these bookings are picked up (ongoing), their vehicles in use."""

    def _on_booking_returned(self):
        """Hook: these bookings are returned (done), readings and check-in recorded, vehicles
        released. Calls ``_on_booking_closed``: extenders call super()."""
        self._on_booking_closed("ongoing")

    def _on_booking_cancelled(self, previous_state):
        """Hook: these bookings, all in ``previous_state`` before, are cancelled, their
        ``date_cancelled`` set. Calls ``_on_booking_closed``: extenders call super()."""
        self._on_booking_closed(previous_state)

    def _on_booking_no_show(self):
        """Hook: these confirmed bookings were not picked up in time (no-show). Calls
        ``_on_booking_closed``: extenders call super()."""
        self._on_booking_closed("confirmed")

    def _on_booking_closed(self, previous_state):
        """Hook: these bookings, all in ``previous_state`` before, have just ended (returned,
        cancelled or no-show: their ``state`` says which); what every ending does."""

    def _job_notify_confirmed(self):
        """Mail and text the driver their booking's access code (job: composing the mail is most
        of a confirmation's time). A booking cancelled before the job ran is not announced."""
        for booking in self.filtered(lambda b: b.state in ACTIVE_STATES):
            booking._notify_driver("carshare_booking.mail_template_booking_confirmed")
            booking._notify_driver_sms(booking._confirmation_sms())

    def _new_access_code(self):
        """A random code of the community's length, unique among the station's active bookings."""
        digits = self.community_id.access_code_digits
        taken = set(
            self.search(
                [
                    ("id", "!=", self.id),
                    ("station_id", "=", self.station_id.id),
                    ("state", "in", ACTIVE_STATES),
                ]
            ).mapped("access_code")
        )
        while True:
            code = str(secrets.randbelow(10**digits)).zfill(digits)
            if code not in taken:
                return code

    def _start_odometer(self):
        """The odometer at a pick-up nobody read it at: the vehicle's, from its last return."""
        return self.vehicle_id.odometer

    def action_start(self, odometer=None, energy=None):
        """Pick-up, by the key box, the vehicle or a desk agent.

        The readings default to the vehicle's.
        """
        check_groups(self.env, USER_GROUP)
        self.ensure_one()
        if self.state != "confirmed":
            raise UserError(
                self.env._(
                    "Only a confirmed booking can be picked up (%(booking)s).", booking=self.name
                )
            )
        now = self._event_time()
        if now < self.access_valid_from:
            raise UserError(
                self.env._(
                    "The vehicle can be picked up from %(date)s.",
                    date=self._format_dt(self.access_valid_from),
                )
            )
        vehicle = self.vehicle_id
        odometer = self._start_odometer() if odometer is None else odometer
        energy = vehicle.carshare_battery_level if energy is None else energy
        self.env["carshare.inspection"]._check_reading_bounds(odometer, energy)
        action_write(
            self,
            {
                "state": "ongoing",
                "date_pickup": now,
                "odometer_start": odometer,
                "energy_start": energy,
            },
        )
        vehicle.carshare_state = "in_use"
        self._on_booking_started()
        return True

    def action_return(self, odometer=None, energy=None):
        """Return, recording the readings and the check-in report; releases the vehicle."""
        check_groups(self.env, USER_GROUP)
        self.ensure_one()
        if self.state != "ongoing":
            raise UserError(
                self.env._(
                    "Only an ongoing booking can be returned (%(booking)s).", booking=self.name
                )
            )
        vehicle = self.vehicle_id
        odometer = self._start_odometer() if odometer is None else odometer
        energy = vehicle.carshare_battery_level if energy is None else energy
        self.env["carshare.inspection"]._check_reading_bounds(odometer, energy)
        if odometer < self.odometer_start and _DEVICE_EVENT.get() is None:
            # A person typing it corrects it now; a device's reading is held for a manager.
            raise ValidationError(
                self.env._(
                    "The odometer at return (%(end)s) cannot be lower than at pick-up (%(start)s).",
                    end=odometer,
                    start=self.odometer_start,
                )
            )
        now = max(self._event_time(), self.date_pickup or self.date_start)
        action_write(
            self,
            {
                "state": "done",
                "date_return": now,
                # A reading behind the pick-up is kept in the reason, never on the vehicle.
                "odometer_end": max(odometer, self.odometer_start),
                "energy_end": energy,
                "late_minutes": self._late_minutes_at(now),
            },
        )
        doubt = self._distance_doubt(odometer)
        if doubt:
            self._hold_distance(doubt)
        self._record_checkin()
        if vehicle.carshare_state == "in_use":
            vehicle.carshare_state = "available"
        self._on_booking_returned()
        return True

    def _event_time(self):
        """When the pick-up or return happened: now, or the time of the device event that tells
        it (``device_event``, a buffered event arriving late)."""
        now = fields.Datetime.now()
        moment = (_DEVICE_EVENT.get() or {}).get("moment")
        return min(moment, now) if moment else now

    def _distance_doubt(self, odometer):
        """Why the trip's distance cannot be invoiced as read, or False.

        Before the return only a reading behind the pick-up is known; once returned, the
        average speed between pick-up and return is checked against the community's bound.
        """
        doubt = (_DEVICE_EVENT.get() or {}).get("doubt")
        if doubt:
            return doubt
        if odometer < self.odometer_start:
            return self.env._(
                "The odometer read at return (%(end)s km) is lower than at pick-up (%(start)s "
                "km).",
                end=f"{odometer:g}",
                start=f"{self.odometer_start:g}",
            )
        if self.state != "done":
            return False
        hours = (self.date_return - (self.date_pickup or self.date_start)).total_seconds() / 3600
        bound = self.community_id.max_average_speed_kmh
        if self.distance_km > bound * hours:
            return self.env._(
                "%(km)s km in %(duration)s is faster than %(bound)s km/h on average.",
                km=f"{self.distance_km:g}",
                duration=format_duration(max(hours, 0)),
                bound=f"{bound:g}",
            )
        return False

    def _hold_distance(self, reason):
        """Keep an impossible distance away from the invoice until a manager validates it."""
        action_write(self, {"distance_check": "held", "distance_check_reason": reason})
        self.message_post(body=reason)
        self.with_context(mail_notify_force_send=False).activity_schedule(
            "carshare_booking.mail_activity_type_distance_check",
            user_id=(self.community_id.user_id or self.user_id).id,
            note=self.env._(
                "%(reason)s Correct the odometer at return if need be, then validate the "
                "distance: the booking is invoiced then.",
                reason=reason,
            ),
        )

    def action_validate_distance(self):
        """Managers: accept the (corrected) distance of returned bookings held for a check."""
        check_groups(
            self.env,
            MANAGER_GROUP,
            message=self.env._("Only carsharing managers validate a held distance."),
        )
        for booking in self:
            if booking.distance_check != "held":
                raise UserError(
                    self.env._(
                        "The distance of booking %(booking)s is not waiting for a validation.",
                        booking=booking.name,
                    )
                )
            if booking.odometer_end < booking.odometer_start:
                raise ValidationError(
                    self.env._(
                        "The odometer at return of booking %(booking)s is lower than at pick-up.",
                        booking=booking.name,
                    )
                )
        action_write(self, {"distance_check": "validated"})
        self.activity_feedback(["carshare_booking.mail_activity_type_distance_check"])
        self._on_distance_validated()
        return True

    def _on_distance_validated(self):
        """Hook: the held distance of these returned bookings is now accepted (billing)."""

    def _late_minutes_at(self, moment):
        late = moment - self.date_end
        if late <= timedelta(minutes=self.community_id.grace_minutes):
            return 0
        return int(late.total_seconds() // 60)

    def _record_checkin(self):
        """Complete the driver's check-in report, or create it, and close it."""
        report = self.inspection_ids.filtered(lambda i: i.kind == "checkin" and i.state == "draft")
        values = {"odometer": self.odometer_end, "energy_level": self.energy_end}
        if report:
            report[:1].write(values)
        else:
            report = self.env["carshare.inspection"].create(
                {
                    **values,
                    "kind": "checkin",
                    "booking_id": self.id,
                    "vehicle_id": self.vehicle_id.id,
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                }
            )
        report[:1]._action_validate()
        # The odometer is computed from the readings without dependencies: read the new one.
        self.vehicle_id.invalidate_recordset(["odometer"])

    def action_cancel(self):
        """Desk agents and managers, the latter also once started (the portal cancels for the
        driver, in superuser mode, before the start)."""
        check_groups(self.env, USER_GROUP)
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        now = fields.Datetime.now()
        for booking in self:
            if booking.state not in ("draft", *ACTIVE_STATES):
                raise UserError(
                    self.env._(
                        "Booking %(booking)s can no longer be cancelled.", booking=booking.name
                    )
                )
            started = booking.state == "ongoing" or booking.date_start <= now
            if started and not is_manager:
                raise AccessError(
                    self.env._(
                        "Booking %(booking)s has started and can no longer be cancelled; "
                        "contact the fleet manager.",
                        booking=booking.name,
                    )
                )
            previous_state = booking.state
            if previous_state == "ongoing" and booking.vehicle_id.carshare_state == "in_use":
                booking.vehicle_id.carshare_state = "available"
            action_write(booking, {"state": "cancelled", "date_cancelled": now})
            if previous_state in ACTIVE_STATES:
                booking._notify_driver("carshare_booking.mail_template_booking_cancelled")
            booking._on_booking_cancelled(previous_state)
        return True

    def _action_no_show(self):
        """Release the vehicles of these confirmed bookings, not picked up in time."""
        if any(booking.state != "confirmed" for booking in self):
            raise UserError(self.env._("Only a confirmed booking can be a no-show."))
        action_write(self, {"state": "no_show"})
        self._notify_driver("carshare_booking.mail_template_booking_no_show")
        self._on_booking_no_show()

    # -- notifications ---------------------------------------------------------------------------

    def _notify_driver(self, template_xmlid):
        template = self.env.ref(template_xmlid)
        for booking in self:
            booking.message_post_with_source(
                template, subtype_xmlid="mail.mt_comment", force_send=False
            )

    def _notify_driver_sms(self, body):
        """Text the driver where the community asks for it and the ``sms`` module is installed.

        Override to use another gateway.
        """
        if "sms.sms" not in self.env:
            return
        for booking in self:
            partner = booking.partner_id
            if booking.community_id.notify_by_sms and (partner.mobile or partner.phone):
                booking._message_sms(body, partner_ids=partner.ids, put_in_queue=True)

    def _confirmation_sms(self):
        driver = self.with_context(lang=self.partner_id.lang)
        return driver.env._(
            "%(booking)s: %(vehicle)s at %(station)s, %(start)s - %(end)s. Access code %(code)s.",
            booking=self.name,
            vehicle=self.vehicle_id.display_name,
            station=self.station_id.name,
            start=driver._format_dt(self.date_start),
            end=driver._format_dt(self.date_end),
            code=self.access_code,
        )

    # -- crons -----------------------------------------------------------------------------------

    @api.model
    def _cron_detect_no_shows(self):
        """Release the vehicle of confirmed bookings not picked up within the grace period."""
        now = fields.Datetime.now()
        missed = self.search([("state", "=", "confirmed"), ("date_start", "<", now)]).filtered(
            lambda b: now > b.date_start + timedelta(minutes=b.community_id.grace_minutes)
        )
        missed._action_no_show()

    @api.model
    def _cron_detect_late_returns(self):
        """Record the lateness of vehicles not back after the grace period and tell people once."""
        now = fields.Datetime.now()
        late = self.search([("state", "=", "ongoing"), ("date_end", "<", now)]).filtered(
            lambda b: b._late_minutes_at(now)
        )
        for booking in late:
            action_write(booking, {"late_minutes": booking._late_minutes_at(now)})
        late.filtered(lambda b: not b.late_notified)._notify_late_return()

    def _notify_late_return(self):
        self._notify_driver("carshare_booking.mail_template_booking_late")
        for booking in self.with_context(mail_notify_force_send=False):
            booking.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=booking.user_id.id,
                summary=self.env._("Vehicle not returned"),
                note=self.env._(
                    "%(driver)s has not returned %(vehicle)s, due back at %(date)s.",
                    driver=booking.partner_id.name,
                    vehicle=booking.vehicle_id.display_name,
                    date=booking._format_dt(booking.date_end),
                ),
            )
        self.write({"late_notified": True})

    @api.model
    def _cron_send_reminders(self):
        now = fields.Datetime.now()
        before_start = self._max_community_value("reminder_start_minutes")
        starting = self.search(
            [
                ("state", "=", "confirmed"),
                ("reminder_start_sent", "=", False),
                ("date_start", ">", now),
                ("date_start", "<=", now + timedelta(minutes=before_start)),
            ]
        ).filtered(
            lambda b: b.date_start - timedelta(minutes=b.community_id.reminder_start_minutes) <= now
        )
        starting._notify_driver("carshare_booking.mail_template_booking_reminder_start")
        starting.write({"reminder_start_sent": True})
        before_end = self._max_community_value("reminder_end_minutes")
        ending = self.search(
            [
                ("state", "=", "ongoing"),
                ("reminder_end_sent", "=", False),
                ("date_end", ">", now),
                ("date_end", "<=", now + timedelta(minutes=before_end)),
            ]
        ).filtered(
            lambda b: b.date_end - timedelta(minutes=b.community_id.reminder_end_minutes) <= now
        )
        ending._notify_driver("carshare_booking.mail_template_booking_reminder_end")
        ending.write({"reminder_end_sent": True})

    @api.model
    def _max_community_value(self, field_name):
        communities = self.env["carshare.community"].with_context(active_test=False)
        return communities._read_group([], aggregates=[f"{field_name}:max"])[0][0] or 0

    # -- automatic transfer ----------------------------------------------------------------------

    @api.model
    def _cron_transfer_bookings(self):
        """Move upcoming bookings whose vehicle will not be ready; else ask the manager."""
        now = fields.Datetime.now()
        lead = self._max_community_value("transfer_lead_hours")
        upcoming = self.search(
            [("state", "=", "confirmed"), ("date_start", "<=", now + timedelta(hours=lead))],
            order="date_start, id",
        ).filtered(lambda b: b._in_transfer_window(now))
        for booking in upcoming:
            reason = booking._transfer_reason()
            if reason and not booking._transfer(reason):
                booking._request_manual_transfer(reason)

    def _in_transfer_window(self, now):
        community = self.community_id
        return (
            self.date_start - timedelta(hours=community.transfer_lead_hours)
            <= now
            <= self.date_start + timedelta(minutes=community.grace_minutes)
        )

    def _transfer_reason(self):
        """Why the booked vehicle will not be ready, or False."""
        vehicle = self.vehicle_id
        if vehicle.carshare_state in ("maintenance", "out_of_service") or (
            vehicle._carshare_maintenance_overlaps(self.date_start, self.date_end)
        ):
            return "maintenance"
        if self._previous_booking_late():
            return "late"
        if not self._has_enough_range(vehicle):
            return "battery"
        return False

    def _previous_booking_late(self):
        """The vehicle is still out with an earlier driver, past their end and grace period."""
        now = fields.Datetime.now()
        return any(
            booking._late_minutes_at(now)
            for booking in self.search(
                [
                    ("id", "!=", self.id),
                    ("vehicle_id", "=", self.vehicle_id.id),
                    ("state", "=", "ongoing"),
                    ("date_end", "<", now),
                ]
            )
        )

    def _has_enough_range(self, vehicle):
        return vehicle.carshare_range_km >= self.expected_km

    def _transfer(self, reason):
        """Move the booking to a free vehicle of the same category; False when there is none."""
        self.ensure_one()
        vehicle = self._transfer_candidate()
        if not vehicle:
            return False
        old_vehicle = self.vehicle_id
        values = {
            "vehicle_id": vehicle.id,
            "station_id": vehicle.carshare_station_id.id,
            "transferred_from_vehicle_id": old_vehicle.id,
            "transfer_reason": reason,
        }
        if vehicle.carshare_station_id != self.station_id:
            values["access_code"] = False
        try:
            with self.env.cr.savepoint():
                action_write(self, values)
        except ValidationError:
            # Taken since the candidate was chosen (or refused by a rule): no vehicle then.
            return False
        if not self.access_code:
            action_write(self, {"access_code": self._new_access_code()})
        self._notify_transfer(old_vehicle)
        return True

    def _transfer_candidate(self):
        """The free vehicle with most range, at the same station first, then in the community."""
        category = self.vehicle_id.carshare_category
        for station in (self.station_id, None):
            availability = self.env["carshare.availability"]._available_vehicles(
                self.date_start, self.date_end, station, self.community_id, category
            )
            free = self.env["fleet.vehicle"].browse(
                [row["vehicle_id"] for row in availability if row["free"]]
            )
            free = (free - self.vehicle_id).filtered(self._has_enough_range)
            if free:
                return free.sorted(lambda v: v.carshare_range_km, reverse=True)[0]
        return self.env["fleet.vehicle"]

    def _notify_transfer(self, old_vehicle):
        driver = self.with_context(lang=self.partner_id.lang)
        reason = dict(driver._fields["transfer_reason"]._description_selection(driver.env))
        body = driver.env._(
            "Your booking %(booking)s moves from %(old)s to %(new)s (%(reason)s). "
            "Pick it up at %(station)s with the access code %(code)s.",
            booking=self.name,
            old=old_vehicle.display_name,
            new=self.vehicle_id.display_name,
            reason=reason[self.transfer_reason],
            station=self.station_id.name,
            code=self.access_code,
        )
        self.message_post(
            body=body,
            partner_ids=self.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            force_send=False,
        )
        self._notify_driver_sms(body)

    def _request_manual_transfer(self, reason):
        activity_xmlid = "carshare_booking.mail_activity_type_vehicle_transfer"
        activity_type = self.env.ref(activity_xmlid)
        if self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type):
            return
        reasons = dict(self._fields["transfer_reason"]._description_selection(self.env))
        self.with_context(mail_notify_force_send=False).activity_schedule(
            activity_xmlid,
            user_id=self.user_id.id,
            note=self.env._(
                "%(vehicle)s will not be ready (%(reason)s) and no other vehicle of its category "
                "is free: find a vehicle or tell the driver.",
                vehicle=self.vehicle_id.display_name,
                reason=reasons[reason],
            ),
        )

    def action_transfer(self):
        """Managers: move the booking now, for the detected reason or their own."""
        check_groups(self.env, MANAGER_GROUP)
        for booking in self:
            if booking.state != "confirmed":
                raise UserError(self.env._("Only a confirmed booking can move to another vehicle."))
            if not booking._transfer(booking._transfer_reason() or "manual"):
                raise UserError(
                    self.env._(
                        "No other vehicle of this category is free for booking %(booking)s.",
                        booking=booking.name,
                    )
                )
        return True

    # -- availability ----------------------------------------------------------------------------

    @api.model
    def carshare_available_vehicles(
        self, date_start, date_end, station_id=None, community_id=None, category=None
    ):
        """Desk agents: ``carshare.availability._available_vehicles`` over JSON-RPC, with ids."""
        check_groups(self.env, USER_GROUP)
        self.check_access("read")
        return self.env["carshare.availability"]._available_vehicles(
            date_start,
            date_end,
            self.env["carshare.station"].browse(station_id),
            self.env["carshare.community"].browse(community_id),
            category,
        )

    @api.model
    def _carshare_available_vehicles(self, *args, **kwargs):
        """``carshare.availability._available_vehicles``, where the callers of the booking model
        look for it."""
        return self.env["carshare.availability"]._available_vehicles(*args, **kwargs)

    # -- helpers ---------------------------------------------------------------------------------

    def _membership(self):
        return self.env["carshare.membership"].search(
            [("partner_id", "=", self.partner_id.id), ("community_id", "=", self.community_id.id)],
            limit=1,
        )

    def _format_dt(self, value):
        return format_datetime(self.env, value, tz=self.station_id.tz or False, dt_format="short")

    @staticmethod
    def _hours_between(start, end):
        if not (start and end):
            return 0.0
        return (end - start).total_seconds() / 3600

    @api.model
    def _find_by_access_code(self, station, code, moment=None):
        """The active booking of ``station`` whose ``code`` opens it at ``moment`` (default now).

        For the key boxes and vehicles: an empty recordset means the code does not open. The code
        of an ongoing booking keeps working until the vehicle is returned.
        """
        moment = moment or fields.Datetime.now()
        return self.search(
            [
                ("station_id", "=", station.id),
                ("access_code", "=", code),
                ("state", "in", ACTIVE_STATES),
                ("access_valid_from", "<=", moment),
                "|",
                ("state", "=", "ongoing"),
                ("access_valid_until", ">=", moment),
            ],
            limit=1,
        )

    def action_view_inspections(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_fleet.action_carshare_inspection"
        )
        action["domain"] = [("booking_id", "=", self.id)]
        action["context"] = {
            "default_booking_id": self.id,
            "default_vehicle_id": self.vehicle_id.id,
            "default_partner_id": self.partner_id.id,
        }
        return action
