from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..access import MANAGER_GROUP, action_write, check_action_fields, check_groups, check_view

# Categories whose holder also holds category B (EU directive 2006/126/EC).
CATEGORIES_WITH_B = {"B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE"}

# Nobody older drives; a birthdate giving more is a typing error.
MAX_AGE = 120

RULE_FIELDS = ["driver_min_age", "max_responsible_claims", "claims_window_months"]
# Identity documents: the fleet managers, and the driver through the portal's own pages.
IDENTITY_GROUPS = MANAGER_GROUP
# Written by the verification action only.
ACTION_FIELDS = ["carshare_verified_by_id", "carshare_verified_on"]


class ResPartner(models.Model):
    _inherit = "res.partner"

    carshare_birthdate = fields.Date(string="Date of Birth", groups=IDENTITY_GROUPS)
    driving_licence_number = fields.Char(groups=IDENTITY_GROUPS)
    driving_licence_category = fields.Selection(
        [
            ("AM", "AM"),
            ("A1", "A1"),
            ("A2", "A2"),
            ("A", "A"),
            ("B1", "B1"),
            ("B", "B"),
            ("BE", "BE"),
            ("C1", "C1"),
            ("C1E", "C1E"),
            ("C", "C"),
            ("CE", "CE"),
            ("D1", "D1"),
            ("D1E", "D1E"),
            ("D", "D"),
            ("DE", "DE"),
        ],
        help="Highest category held; carsharing requires category B.",
    )
    driving_licence_issue_date = fields.Date(string="Licence Issued On")
    driving_licence_expiry_date = fields.Date(
        string="Licence Expires On", help="Leave empty for a licence without expiry date."
    )
    driving_licence_scan = fields.Binary(
        string="Scanned Driving Licence", attachment=True, groups=IDENTITY_GROUPS
    )
    driving_licence_scan_filename = fields.Char(
        string="Driving Licence Filename", groups=IDENTITY_GROUPS
    )
    proof_of_address = fields.Binary(
        string="Proof of Address", attachment=True, groups=IDENTITY_GROUPS
    )
    proof_of_address_filename = fields.Char(
        string="Proof of Address Filename", groups=IDENTITY_GROUPS
    )
    carshare_verified_by_id = fields.Many2one(
        "res.users", string="Documents Verified By", readonly=True, copy=False
    )
    carshare_verified_on = fields.Datetime(
        string="Documents Verified On", readonly=True, copy=False
    )
    carshare_motor_trade = fields.Boolean(
        string="Motor-Trade Professional",
        help="Motor-trade professionals are excluded by the insurance.",
    )
    carshare_claim_ids = fields.One2many("carshare.claim", "partner_id", string="Claims")
    carshare_claim_count = fields.Integer(compute="_compute_carshare_claim_count")
    carshare_membership_ids = fields.One2many(
        "carshare.membership", "partner_id", string="Carsharing Memberships"
    )
    carshare_eligible = fields.Boolean(
        string="Eligible to Drive",
        compute="_compute_carshare_eligibility",
        help="Meets the conditions of the insurance today.",
    )
    carshare_ineligibility_reason = fields.Text(
        string="Why Not Eligible", compute="_compute_carshare_eligibility"
    )

    @api.depends("carshare_claim_ids")
    def _compute_carshare_claim_count(self):
        for partner in self:
            partner.carshare_claim_count = len(partner.carshare_claim_ids)

    @api.depends(
        "carshare_birthdate",
        "driving_licence_number",
        "driving_licence_category",
        "driving_licence_issue_date",
        "driving_licence_expiry_date",
        "carshare_motor_trade",
        "carshare_claim_ids.responsible",
        "carshare_claim_ids.date",
        "carshare_membership_ids.state",
        "carshare_verified_on",
    )
    @api.depends_context("lang")
    def _compute_carshare_eligibility(self):
        today = fields.Date.context_today(self)
        for partner in self:
            reasons = partner._carshare_ineligibility_reasons(
                partner._carshare_display_community(), today
            )
            partner.carshare_eligible = not reasons
            partner.carshare_ineligibility_reason = "\n".join(reasons)

    def _carshare_display_community(self):
        """The community whose rules the partner form shows: an active membership's first."""
        memberships = self.carshare_membership_ids.sorted(lambda m: m.state != "active")
        return memberships[:1].community_id

    @api.constrains(
        "carshare_birthdate", "driving_licence_issue_date", "driving_licence_expiry_date"
    )
    def _check_driving_licence_dates(self):
        for partner in self:
            errors = partner._carshare_document_date_errors(
                partner.carshare_birthdate,
                partner.driving_licence_issue_date,
                partner.driving_licence_expiry_date,
            )
            if errors:
                raise ValidationError(
                    self.env._(
                        "%(driver)s: %(error)s",
                        driver=partner.name,
                        error=" ".join(errors.values()),
                    )
                )

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        return super().write(vals)

    @api.model
    def _carshare_document_date_errors(self, born, issued, expires):
        """{field name: message} for a date of birth or licence dates out of their bounds: an
        age from 0 to 120 years, a licence issued by today (and after the birth) that expires
        after its issue."""
        today = fields.Date.context_today(self)
        errors = {}
        if born and not today - relativedelta(years=MAX_AGE) <= born <= today:
            errors["carshare_birthdate"] = self.env._(
                "The date of birth must give an age between 0 and %(age)s years.", age=MAX_AGE
            )
        if issued and (issued > today or (born and issued < born)):
            errors["driving_licence_issue_date"] = self.env._(
                "The driving licence must be issued by today, after the date of birth."
            )
        if issued and expires and expires <= issued:
            errors["driving_licence_expiry_date"] = self.env._(
                "The driving licence cannot expire before it was issued."
            )
        return errors

    def action_carshare_mark_verified(self):
        """Managers: record that they checked the driver's documents."""
        check_groups(self.env, MANAGER_GROUP)
        action_write(
            self,
            {
                "carshare_verified_by_id": self.env.user.id,
                "carshare_verified_on": fields.Datetime.now(),
            },
        )

    def action_view_carshare_claims(self):
        check_view(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "carshare_fleet.action_carshare_claim"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def _carshare_ineligibility_reasons(self, community, date_ref):
        """Reasons why the partner may not drive at ``date_ref`` (a booking's end) in ``community``.

        An empty list means eligible. Without a community, the default rules of a community
        apply and memberships are not checked.
        """
        self.ensure_one()
        date_ref = fields.Date.to_date(date_ref)
        rules = self._carshare_rules(community)
        # Whoever books (a desk agent, the driver) gets the reasons, not the identity data.
        identity = self.sudo()
        return [
            *identity._carshare_age_reasons(rules, date_ref),
            *identity._carshare_licence_reasons(date_ref),
            *self._carshare_claim_reasons(rules, date_ref),
            *self._carshare_motor_trade_reasons(),
            *self._carshare_membership_reasons(community),
            *self._carshare_verification_reasons(community),
        ]

    def _carshare_rules(self, community):
        if community:
            return {name: community[name] for name in RULE_FIELDS}
        return self.env["carshare.community"].default_get(RULE_FIELDS)

    def _carshare_age_reasons(self, rules, date_ref):
        min_age = rules["driver_min_age"]
        if not self.carshare_birthdate:
            return [self.env._("Your date of birth is missing.")]
        if relativedelta(date_ref, self.carshare_birthdate).years < min_age:
            return [
                self.env._(
                    "You must be at least %(age)s years old on %(date)s.",
                    age=min_age,
                    date=format_date(self.env, date_ref),
                )
            ]
        return []

    def _carshare_licence_reasons(self, date_ref):
        if not self.driving_licence_number:
            return [self.env._("No driving licence is recorded.")]
        reasons = []
        if self.driving_licence_category not in CATEGORIES_WITH_B:
            reasons.append(self.env._("Your driving licence does not include category B."))
        issued, expires = self.driving_licence_issue_date, self.driving_licence_expiry_date
        if not issued:
            reasons.append(self.env._("The issue date of your driving licence is missing."))
        elif issued > date_ref:
            reasons.append(
                self.env._(
                    "Your driving licence is only valid from %(date)s.",
                    date=format_date(self.env, issued),
                )
            )
        if expires and expires < min(date_ref, fields.Date.context_today(self)):
            reasons.append(
                self.env._(
                    "Your driving licence expired on %(date)s.",
                    date=format_date(self.env, expires),
                )
            )
        elif expires and expires < date_ref:
            reasons.append(
                self.env._(
                    "Your driving licence expires on %(date)s, before the end of the booking.",
                    date=format_date(self.env, expires),
                )
            )
        return reasons

    def _carshare_claim_reasons(self, rules, date_ref):
        months, max_claims = rules["claims_window_months"], rules["max_responsible_claims"]
        since = date_ref - relativedelta(months=months)
        count = len(
            self.carshare_claim_ids.filtered(lambda c: c.responsible and since < c.date <= date_ref)
        )
        if count > max_claims:
            return [
                self.env._(
                    "You have had %(count)s responsible claims in the last %(months)s months; "
                    "at most %(max)s are accepted.",
                    count=count,
                    months=months,
                    max=max_claims,
                )
            ]
        return []

    def _carshare_motor_trade_reasons(self):
        if self.carshare_motor_trade:
            return [self.env._("The insurance excludes motor-trade professionals.")]
        return []

    def _carshare_membership_reasons(self, community):
        if not community:
            return []
        membership = self.carshare_membership_ids.filtered(lambda m: m.community_id == community)
        if not membership:
            return [
                self.env._(
                    "You are not a member of %(community)s.", community=community.display_name
                )
            ]
        if membership.state == "suspended":
            return [
                self.env._(
                    "Your membership of %(community)s is suspended: %(reason)s",
                    community=community.display_name,
                    reason=membership.suspension_reason,
                )
            ]
        if membership.state != "active":
            return [
                self.env._(
                    "Your membership of %(community)s is not active yet.",
                    community=community.display_name,
                )
            ]
        return []

    def _carshare_verification_reasons(self, community):
        if community and community.driver_verification_required and not self.carshare_verified_on:
            return [
                self.env._(
                    "A manager of %(community)s must verify your documents before you can book.",
                    community=community.display_name,
                )
            ]
        return []
