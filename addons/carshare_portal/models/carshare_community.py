from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareCommunity(models.Model):
    _inherit = "carshare.community"

    charter = fields.Html(
        translate=True,
        help="Rules of the community that drivers accept when they sign up in the portal.",
    )
    portal_signup = fields.Boolean(
        string="Open to Sign-Up",
        compute="_compute_portal_signup",
        store=True,
        readonly=False,
        precompute=True,
        help="Drivers may ask to join the community from the customer portal; neighbours join "
        "by invitation.",
    )
    portal_rate_limit = fields.Integer(
        string="Portal Requests Allowed",
        default=5,
        help="Bookings, sign-ups or reports a portal user may make in the window, of each kind. "
        "0: no limit.",
    )
    portal_rate_window = fields.Integer(string="Portal Window (minutes)", default=10)

    @api.depends("kind")
    def _compute_portal_signup(self):
        for community in self:
            community.portal_signup = community.kind != "neighbours"

    @api.constrains("portal_rate_limit", "portal_rate_window")
    def _check_portal_rate(self):
        for community in self:
            if community.portal_rate_limit < 0 or community.portal_rate_window < 0:
                raise ValidationError(
                    self.env._(
                        "The portal limits of community %(community)s cannot be negative.",
                        community=community.name,
                    )
                )

    def _carshare_portal_rate_exceeded(self, model_name, user):
        """Whether ``user`` already created the allowed number of ``model_name`` records in the
        window, counted in the database."""
        self.ensure_one()
        if not self.portal_rate_limit:
            return False
        since = fields.Datetime.now() - timedelta(minutes=self.portal_rate_window)
        count = (
            self.env[model_name]
            .sudo()
            .with_context(active_test=False)
            .search_count([("create_uid", "=", user.id), ("create_date", ">=", since)])
        )
        return count >= self.portal_rate_limit

    def _carshare_portal_rate_message(self):
        return self.env._(
            "You made too many requests: try again in %(minutes)s minutes.",
            minutes=self.portal_rate_window,
        )
