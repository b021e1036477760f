from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..access import MANAGER_GROUP, action_write, check_action_fields, check_groups

# Written by the actions only (activate, suspend); a manager may record a member in any state.
ACTION_FIELDS = ["state"]


class CarshareMembership(models.Model):
    _name = "carshare.membership"
    _description = "Carsharing Membership"
    _inherit = ["mail.thread"]
    _order = "community_id, partner_id"
    _check_company_auto = True

    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
    )
    company_id = fields.Many2one(related="community_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Driver",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
    )
    audience = fields.Selection(
        [
            ("agent", "Agent"),
            ("resident", "Resident"),
            ("employee", "Employee"),
        ],
        required=True,
        default="resident",
        tracking=True,
        help="Agents of the collectivity have priority during its office hours; employees "
        "may book for professional use, billed to their employer.",
    )
    employer_id = fields.Many2one(
        "res.partner",
        domain=[("is_company", "=", True)],
        check_company=True,
        tracking=True,
        help="Company billed for professional use.",
    )
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("active", "Active"),
            ("suspended", "Suspended"),
        ],
        required=True,
        default="requested",
        tracking=True,
    )
    suspension_reason = fields.Text(tracking=True)
    date_start = fields.Date(string="Member Since", default=fields.Date.context_today)

    _sql_constraints = [
        (
            "community_partner_uniq",
            "unique(community_id, partner_id)",
            "A driver can only have one membership per community.",
        ),
    ]

    @api.depends("partner_id", "community_id")
    def _compute_display_name(self):
        for membership in self:
            membership.display_name = (
                f"{membership.partner_id.name or ''} - {membership.community_id.name or ''}"
            )

    @api.constrains("audience", "employer_id")
    def _check_employer(self):
        for membership in self:
            if membership.audience == "employee" and not membership.employer_id:
                raise ValidationError(
                    self.env._(
                        "The employer of %(driver)s is required for an employee.",
                        driver=membership.partner_id.name,
                    )
                )
            if membership.employer_id and not membership.employer_id.is_company:
                raise ValidationError(
                    self.env._(
                        "The employer %(employer)s must be a company.",
                        employer=membership.employer_id.name,
                    )
                )

    @api.constrains("state", "suspension_reason")
    def _check_suspension_reason(self):
        for membership in self:
            if membership.state == "suspended" and not (membership.suspension_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "A suspension requires a reason (membership of %(driver)s).",
                        driver=membership.partner_id.name,
                    )
                )

    def write(self, vals):
        check_action_fields(self, vals, ACTION_FIELDS)
        return super().write(vals)

    def action_activate(self):
        """Managers: let the drivers book in the community."""
        check_groups(self.env, MANAGER_GROUP)
        action_write(self, {"state": "active", "suspension_reason": False})
        return True

    def action_suspend(self):
        """Managers: ask the reason of a suspension."""
        check_groups(self.env, MANAGER_GROUP)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suspend Membership"),
            "res_model": "carshare.membership.suspend.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_membership_ids": self.ids},
        }

    def _suspend(self, reason):
        action_write(self, {"state": "suspended", "suspension_reason": reason})
