import re
import unicodedata

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.carshare_fleet.access import MANAGER_GROUP, check_groups

SYSTEM_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
GBFS_FIELDS = {
    "gbfs_enabled",
    "gbfs_system_id",
    "gbfs_license",
    "gbfs_contact_email",
    "gbfs_opening_hours",
    "gbfs_ttl",
    "gbfs_static_ttl",
    "gbfs_availability_days",
    "name",
    "active",
}


def slug(text):
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64]


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    gbfs_enabled = fields.Boolean(
        string="Publish Open Data",
        tracking=True,
        help="Publish the stations, vehicles, availability and prices of this community as "
        "GBFS open data feeds, public and without login, as the mobility law asks of shared "
        "vehicles open to the public.",
    )
    gbfs_system_id = fields.Char(
        string="System ID",
        copy=False,
        tracking=True,
        help="Stable identifier of the system in the feeds' addresses (lower-case letters, "
        "digits, - and _). Changing it changes the public address.",
    )
    gbfs_license = fields.Selection(
        [("etalab-2.0", "Licence Ouverte / Open Licence 2.0"), ("ODbL-1.0", "ODbL 1.0")],
        string="Data Licence",
        default="etalab-2.0",
        required=True,
        tracking=True,
        help="The licence the data is published under. The Licence Ouverte is the French "
        "administration's default; the ODbL asks re-users to share their improvements.",
    )
    gbfs_contact_email = fields.Char(
        string="Feed Contact Email",
        tracking=True,
        help="Where re-users report technical problems with the feeds.",
    )
    gbfs_opening_hours = fields.Char(
        string="Opening Hours",
        tracking=True,
        help='Opening hours of the service in OpenStreetMap\'s format, e.g. "24/7" or '
        '"Mo-Su 05:00-24:00". Empty: those of the stations when they all agree, else 24/7.',
    )
    gbfs_ttl = fields.Integer(
        string="Live Data Refresh (seconds)",
        default=60,
        tracking=True,
        help="How long the availability files are served before being generated again.",
    )
    gbfs_static_ttl = fields.Integer(
        string="Reference Data Refresh (seconds)",
        default=3600,
        tracking=True,
        help="How long the stations, vehicle types and prices are served before being "
        "generated again.",
    )
    gbfs_availability_days = fields.Integer(
        string="Availability Published (days)",
        default=3,
        tracking=True,
        help="How many days ahead the vehicles' availability is published.",
    )
    gbfs_url = fields.Char(string="Public Address", compute="_compute_gbfs_url")

    _sql_constraints = [
        (
            "gbfs_system_id_uniq",
            "unique(gbfs_system_id)",
            "Two communities cannot publish under the same system ID.",
        ),
    ]

    @api.depends("gbfs_enabled", "gbfs_system_id")
    def _compute_gbfs_url(self):
        base = self.env["carshare.gbfs.feed"]._base_url()
        for community in self:
            community.gbfs_url = (
                f"{base}/gbfs/{community.gbfs_system_id}/gbfs.json"
                if community.gbfs_enabled and community.gbfs_system_id
                else False
            )

    @api.onchange("gbfs_enabled")
    def _onchange_gbfs_enabled(self):
        if self.gbfs_enabled:
            self.gbfs_system_id = self.gbfs_system_id or slug(self.name)
            self.gbfs_contact_email = self.gbfs_contact_email or self.company_id.email

    def _non_negative_fields(self):
        return super()._non_negative_fields() + ["gbfs_ttl", "gbfs_static_ttl"]

    @api.constrains("gbfs_enabled", "gbfs_system_id", "gbfs_contact_email")
    def _check_gbfs_settings(self):
        for community in self.filtered("gbfs_enabled"):
            if not SYSTEM_ID_PATTERN.match(community.gbfs_system_id or ""):
                raise ValidationError(
                    self.env._(
                        "To publish the open data of %(community)s, give it a system ID of "
                        "1 to 64 lower-case letters, digits, - or _ (e.g. %(example)s).",
                        community=community.name,
                        example=slug(community.name) or "my-community",
                    )
                )
            email = community.gbfs_contact_email or ""
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValidationError(
                    self.env._(
                        "To publish the open data of %(community)s, give the email address "
                        "where re-users report problems with the feeds.",
                        community=community.name,
                    )
                )

    @api.constrains("gbfs_availability_days", "gbfs_ttl", "gbfs_static_ttl")
    def _check_gbfs_bounds(self):
        for community in self:
            if not 1 <= community.gbfs_availability_days <= 14:
                raise ValidationError(
                    self.env._(
                        "The availability of %(community)s is published 1 to 14 days ahead.",
                        community=community.name,
                    )
                )
            if community.gbfs_ttl > 3600 or community.gbfs_static_ttl > 86400:
                raise ValidationError(
                    self.env._(
                        "The live data of %(community)s is refreshed at least every hour and "
                        "the reference data at least every day.",
                        community=community.name,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if not GBFS_FIELDS.isdisjoint(vals):
            self.env["carshare.gbfs.document"].sudo()._invalidate(self)
        return result

    def _check_gbfs_manager(self):
        check_groups(
            self.env,
            MANAGER_GROUP,
            message=self.env._("Only carsharing managers manage the open data of a community."),
        )

    def action_gbfs_refresh(self):
        """Drop the cached files: the next request generates them again."""
        self._check_gbfs_manager()
        self.env["carshare.gbfs.document"].sudo()._invalidate(self)
        return True

    def action_gbfs_preview(self):
        self.ensure_one()
        self._check_gbfs_manager()
        preview = self.env["carshare.gbfs.preview"].create({"community_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Data Preview"),
            "res_model": "carshare.gbfs.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_gbfs_open(self):
        self.ensure_one()
        if not self.gbfs_url:
            raise ValidationError(self.env._("Publish the open data first."))
        return {"type": "ir.actions.act_url", "url": self.gbfs_url, "target": "new"}
