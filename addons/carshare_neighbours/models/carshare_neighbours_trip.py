from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date


class CarshareNeighboursTrip(models.Model):
    _name = "carshare.neighbours.trip"
    _description = "Neighbours' Logbook Trip"
    _order = "date desc, odometer_start desc, id desc"
    _check_company_auto = True

    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain=[("kind", "=", "neighbours")],
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    vehicle_id = fields.Many2one(
        "fleet.vehicle",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        compute="_compute_vehicle_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('carshare_community_ids', 'in', community_id)]",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Driver", required=True, index=True, ondelete="restrict"
    )
    booking_id = fields.Many2one(
        "carshare.booking", readonly=True, index="btree_not_null", ondelete="set null"
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    odometer_start = fields.Float(string="Odometer at Start", required=True)
    odometer_end = fields.Float(string="Odometer at End", required=True)
    distance_km = fields.Float(string="km", compute="_compute_distance_km", store=True)
    note = fields.Char(string="Purpose")

    _sql_constraints = [
        ("booking_uniq", "unique(booking_id)", "A booking is logged only once in the logbook."),
    ]

    @api.depends("community_id")
    def _compute_vehicle_id(self):
        for trip in self:
            vehicles = trip.community_id.vehicle_ids
            if trip.vehicle_id not in vehicles:
                trip.vehicle_id = vehicles[:1]

    @api.depends("odometer_start", "odometer_end")
    def _compute_distance_km(self):
        for trip in self:
            trip.distance_km = trip.odometer_end - trip.odometer_start

    @api.depends("partner_id", "date", "distance_km")
    def _compute_display_name(self):
        for trip in self:
            trip.display_name = self.env._(
                "%(driver)s, %(date)s (%(km)s km)",
                driver=trip.partner_id.name or "",
                date=format_date(self.env, trip.date),
                km=round(trip.distance_km),
            )

    @api.model_create_multi
    def create(self, vals_list):
        trips = super().create(vals_list)
        trips.filtered(lambda t: not t.booking_id)._log_vehicle_odometer()
        return trips

    def _log_vehicle_odometer(self):
        """A typed trip moves the vehicle's odometer on, as a returned booking does."""
        for trip in self:
            if trip.odometer_end > trip.vehicle_id.odometer:
                self.env["fleet.vehicle.odometer"].create(
                    {
                        "vehicle_id": trip.vehicle_id.id,
                        "value": trip.odometer_end,
                        "date": trip.date,
                    }
                )
                trip.vehicle_id.invalidate_recordset(["odometer"])

    @api.constrains("community_id", "vehicle_id", "partner_id")
    def _check_community_links(self):
        for trip in self:
            if trip.vehicle_id not in trip.community_id.vehicle_ids:
                raise ValidationError(
                    self.env._(
                        "%(vehicle)s is not a car of %(community)s.",
                        vehicle=trip.vehicle_id.display_name,
                        community=trip.community_id.name,
                    )
                )
            if not trip.community_id._neighbours_is_member(trip.partner_id):
                raise ValidationError(
                    self.env._(
                        "%(driver)s is not a member of %(community)s: add them to the drivers "
                        "or the owners first.",
                        driver=trip.partner_id.name,
                        community=trip.community_id.name,
                    )
                )

    @api.constrains("odometer_start", "odometer_end", "date", "vehicle_id")
    def _check_odometer(self):
        inspections = self.env["carshare.inspection"]
        for trip in self:
            inspections._check_reading_bounds(trip.odometer_start)
            inspections._check_reading_bounds(trip.odometer_end)
            if trip.odometer_end < trip.odometer_start:
                raise ValidationError(
                    self.env._(
                        "The odometer cannot go backwards: the trip of %(driver)s on %(date)s "
                        "ends at %(end)s km, below its start at %(start)s km.",
                        driver=trip.partner_id.name,
                        date=format_date(self.env, trip.date),
                        end=trip.odometer_end,
                        start=trip.odometer_start,
                    )
                )
            trip._check_follows_previous_trip()
            trip._check_precedes_next_trip()

    def _vehicle_trips_domain(self):
        return [("vehicle_id", "=", self.vehicle_id.id), ("id", "!=", self.id)]

    def _check_follows_previous_trip(self):
        previous = self.search(
            self._vehicle_trips_domain()
            + [
                "|",
                ("date", "<", self.date),
                "&",
                ("date", "=", self.date),
                ("odometer_start", "<=", self.odometer_start),
            ],
            order="date desc, odometer_start desc, id desc",
            limit=1,
        )
        if previous and self.odometer_start < previous.odometer_end:
            raise ValidationError(
                self.env._(
                    "The odometer cannot go backwards: this trip starts at %(start)s km but "
                    "the previous trip of %(vehicle)s (%(driver)s, %(date)s) ended at %(end)s km.",
                    start=self.odometer_start,
                    vehicle=self.vehicle_id.display_name,
                    driver=previous.partner_id.name,
                    date=format_date(self.env, previous.date),
                    end=previous.odometer_end,
                )
            )

    def _check_precedes_next_trip(self):
        following = self.search(
            self._vehicle_trips_domain()
            + [
                "|",
                ("date", ">", self.date),
                "&",
                ("date", "=", self.date),
                ("odometer_start", ">", self.odometer_start),
            ],
            order="date, odometer_start, id",
            limit=1,
        )
        if following and self.odometer_end > following.odometer_start:
            raise ValidationError(
                self.env._(
                    "The odometer cannot go backwards: this trip ends at %(end)s km but the "
                    "next trip of %(vehicle)s (%(driver)s, %(date)s) starts at %(start)s km.",
                    end=self.odometer_end,
                    vehicle=self.vehicle_id.display_name,
                    driver=following.partner_id.name,
                    date=format_date(self.env, following.date),
                    start=following.odometer_start,
                )
            )
