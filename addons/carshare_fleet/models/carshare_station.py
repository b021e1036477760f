from urllib.parse import urlencode

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from ..access import check_view

OSM_URL = "https://www.openstreetmap.org/"


class CarshareStation(models.Model):
    _name = "carshare.station"
    _description = "Carsharing Station"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        tracking=True,
        copy=False,
        help="Short reference of the station, unique within the company.",
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Address",
        check_company=True,
        tracking=True,
        help="Where the vehicles are parked.",
    )
    address = fields.Char(related="partner_id.contact_address", string="Full Address")
    city = fields.Char(related="partner_id.city", store=True)
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    map_url = fields.Char(string="Map", compute="_compute_map_url")
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        required=True,
        default=lambda self: self._default_tz(),
        help="Closing hours are expressed in this timezone.",
    )
    closed_from = fields.Float(
        default=0.0,
        tracking=True,
        help="Start of the daily closing: no pick-up or return from this hour.",
    )
    closed_to = fields.Float(
        default=5.0,
        tracking=True,
        help="End of the daily closing. The closing may span midnight (e.g. 22:00 to 06:00); "
        "equal hours mean the station never closes.",
    )
    charge_point_count = fields.Integer(string="Charge Points")
    keybox_ref = fields.Char(
        string="Key Box",
        help="Identifier of the key box device of the station, when there is one.",
    )
    vehicle_ids = fields.One2many("fleet.vehicle", "carshare_station_id", string="Vehicles")
    vehicle_count = fields.Integer(compute="_compute_vehicle_count")
    community_ids = fields.Many2many(
        "carshare.community",
        "carshare_community_station_rel",
        "station_id",
        "community_id",
        string="Communities",
        check_company=True,
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The station code must be unique per company.",
        ),
    ]

    def _default_tz(self):
        return self.env.company.partner_id.tz or self.env.user.tz or "UTC"

    @api.depends("latitude", "longitude", "partner_id")
    def _compute_map_url(self):
        for station in self:
            station.map_url = station._map_url()

    def _map_url(self):
        if self.latitude or self.longitude:
            lat, lon = self.latitude, self.longitude
            return f"{OSM_URL}?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}"
        address = self._address_query()
        return f"{OSM_URL}search?{urlencode({'query': address})}" if address else False

    def _address_query(self):
        partner = self.partner_id
        parts = [
            partner.street,
            partner.street2,
            partner.zip,
            partner.city,
            partner.country_id.name,
        ]
        return ", ".join(part for part in parts if part)

    def _compute_vehicle_count(self):
        counts = dict(
            self.env["fleet.vehicle"]._read_group(
                [("carshare_station_id", "in", self.ids)], ["carshare_station_id"], ["__count"]
            )
        )
        for station in self:
            station.vehicle_count = counts.get(station, 0)

    @api.constrains("closed_from", "closed_to")
    def _check_closing_hours(self):
        for station in self:
            if not (0 <= station.closed_from <= 24 and 0 <= station.closed_to <= 24):
                raise ValidationError(
                    self.env._(
                        "The closing hours of station %(station)s must be between 00:00 and 24:00.",
                        station=station.name,
                    )
                )

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for station in self:
            if not (-90 <= station.latitude <= 90 and -180 <= station.longitude <= 180):
                raise ValidationError(
                    self.env._(
                        "The latitude must be between -90 and 90 and the longitude between "
                        "-180 and 180 (station %(station)s).",
                        station=station.name,
                    )
                )

    @api.constrains("charge_point_count")
    def _check_charge_point_count(self):
        for station in self:
            if station.charge_point_count < 0:
                raise ValidationError(
                    self.env._(
                        "The number of charge points of station %(station)s cannot be negative.",
                        station=station.name,
                    )
                )

    def _is_closed_at(self, dt):
        """Whether the station is closed at ``dt``, a naive UTC datetime."""
        self.ensure_one()
        if self.closed_from == self.closed_to:
            return False
        local = pytz.utc.localize(dt).astimezone(pytz.timezone(self.tz or "UTC"))
        hour = local.hour + local.minute / 60 + local.second / 3600
        if self.closed_from < self.closed_to:
            return self.closed_from <= hour < self.closed_to
        return hour >= self.closed_from or hour < self.closed_to

    def action_view_vehicles(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_fleet.action_carshare_shared_vehicles"
        )
        action["domain"] = [("carshare_station_id", "=", self.id)]
        action["context"] = {
            "default_carshare_station_id": self.id,
            "default_carshare_shared": True,
            "default_company_id": self.company_id.id,
        }
        return action
