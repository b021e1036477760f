from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.carshare_fleet.access import check_view

NON_NEGATIVE_FIELDS = [
    "access_lead_minutes",
    "reminder_start_minutes",
    "reminder_end_minutes",
    "transfer_lead_hours",
    "expected_km_per_hour",
]


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        help="Manages the bookings: told about late returns and vehicles to reassign.",
    )
    access_lead_minutes = fields.Integer(
        string="Code Valid Before Start (minutes)",
        default=15,
        tracking=True,
        help="The access code opens the key box or the vehicle this many minutes before the "
        "start; it stays valid until the end plus the grace period.",
    )
    access_code_digits = fields.Integer(default=6, tracking=True, help="From 6 to 8 digits.")
    reminder_start_minutes = fields.Integer(
        string="Reminder Before Start (minutes)", default=60, tracking=True
    )
    reminder_end_minutes = fields.Integer(
        string="Reminder Before End (minutes)", default=30, tracking=True
    )
    transfer_lead_hours = fields.Float(
        string="Transfer Check (hours)",
        default=2.0,
        tracking=True,
        help="Bookings starting within this many hours move to another vehicle when theirs is "
        "late, in maintenance or not charged enough.",
    )
    expected_km_per_hour = fields.Float(
        string="Expected km per Hour",
        default=15.0,
        tracking=True,
        help="Estimates the distance of a booking from its duration; a vehicle whose remaining "
        "range is shorter is swapped before the start.",
    )
    max_average_speed_kmh = fields.Float(
        string="Plausible Average Speed (km/h)",
        default=150.0,
        tracking=True,
        help="A trip whose distance means a higher average speed between pick-up and return, "
        "or whose odometer went backwards, is not invoiced: a manager validates its distance "
        "first.",
    )
    notify_by_sms = fields.Boolean(
        string="Text Drivers",
        help="Also send the access code and transfers by SMS (needs the SMS module).",
    )
    booking_count = fields.Integer(compute="_compute_booking_count")

    def _compute_booking_count(self):
        counts = dict(
            self.env["carshare.booking"]._read_group(
                [("community_id", "in", self.ids)], ["community_id"], ["__count"]
            )
        )
        for community in self:
            community.booking_count = counts.get(community, 0)

    @api.constrains("access_code_digits")
    def _check_access_code_digits(self):
        for community in self:
            if not 6 <= community.access_code_digits <= 8:
                raise ValidationError(
                    self.env._(
                        "Access codes of community %(community)s have 6 to 8 digits.",
                        community=community.name,
                    )
                )

    @api.constrains("max_average_speed_kmh")
    def _check_max_average_speed(self):
        for community in self:
            if not 0 < community.max_average_speed_kmh <= 1000:
                raise ValidationError(
                    self.env._(
                        "The plausible average speed of community %(community)s is between 0 "
                        "and 1,000 km/h.",
                        community=community.name,
                    )
                )

    def _non_negative_fields(self):
        return super()._non_negative_fields() + NON_NEGATIVE_FIELDS

    def action_view_bookings(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_booking.action_carshare_booking"
        )
        action["domain"] = [("community_id", "=", self.id)]
        action["context"] = {"default_community_id": self.id}
        return action
