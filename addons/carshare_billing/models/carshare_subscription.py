from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from .carshare_tariff_version import price_line


class CarshareSubscription(models.Model):
    _name = "carshare.subscription"
    _description = "Carsharing Subscription"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Member", required=True, index=True, tracking=True
    )
    plan_id = fields.Many2one(
        "carshare.subscription.plan",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    community_id = fields.Many2one(related="plan_id.community_id", store=True, index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    date_start = fields.Date(
        string="Start", required=True, default=fields.Date.context_today, tracking=True
    )
    date_end = fields.Date(
        string="End", tracking=True, help="Leave empty until the member ends it."
    )
    sale_order_ids = fields.One2many(
        "sale.order", "carshare_subscription_id", string="Monthly Orders", readonly=True
    )

    @api.depends("partner_id", "plan_id")
    def _compute_display_name(self):
        for subscription in self:
            subscription.display_name = (
                f"{subscription.partner_id.name or ''} - {subscription.plan_id.name or ''}"
            )

    @api.constrains("partner_id", "plan_id", "date_start", "date_end")
    def _check_dates(self):
        for subscription in self:
            if subscription.date_end and subscription.date_end < subscription.date_start:
                raise ValidationError(
                    self.env._(
                        "The subscription of %(member)s ends before it starts.",
                        member=subscription.partner_id.name,
                    )
                )
            if self.search_count(subscription._overlap_domain(), limit=1):
                raise ValidationError(
                    self.env._(
                        "%(member)s already has a subscription in %(community)s over these dates.",
                        member=subscription.partner_id.name,
                        community=subscription.community_id.name,
                    )
                )

    def _overlap_domain(self):
        domain = [
            ("id", "!=", self.id),
            ("partner_id", "=", self.partner_id.id),
            ("community_id", "=", self.community_id.id),
            ("plan_id.kind", "=", self.plan_id.kind),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", self.date_start),
        ]
        if self.date_end:
            domain.append(("date_start", "<=", self.date_end))
        return domain

    @api.model
    def _active_domain(self, date_from, date_to):
        """Subscriptions running at some point between ``date_from`` and ``date_to``."""
        return [
            ("date_start", "<=", date_to),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", date_from),
        ]

    def _carshare_sale_order_values(self, month):
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "origin": self.display_name,
            "carshare_subscription_id": self.id,
            "carshare_community_id": self.community_id.id,
            "carshare_date": month,
            "require_signature": False,
            "require_payment": False,
        }

    def _carshare_billing_lines(self, month):
        if self.plan_id.kind == "insurance":
            return self._carshare_insurance_lines(month)
        plan = self.plan_id.with_context(lang=self.partner_id.lang or self.env.lang)
        name = plan.env._(
            "%(plan)s subscription, %(month)s",
            plan=plan.name,
            month=format_date(plan.env, month, date_format="MMMM y"),
        )
        return [
            price_line(
                "subscription",
                "subscription",
                plan.product_id,
                name,
                1,
                plan.monthly_fee,
                tax_included=plan.tariff_id.price_include_tax,
            )
        ]

    def _carshare_insurance_lines(self, date_from):
        """The yearly insurance of the subscription year starting on ``date_from``."""
        tariff = self.plan_id.tariff_id.with_context(lang=self.partner_id.lang or self.env.lang)
        version = tariff._version_at(tariff._utc(date_from))
        return version._insurance_year_lines(date_from)

    def _carshare_anniversary_in(self, date_from, date_to):
        """The start of a subscription year between ``date_from`` and ``date_to``, if any."""
        years = max(date_from.year - self.date_start.year, 0)
        anniversary = self.date_start + relativedelta(years=years)
        if anniversary < date_from:
            anniversary = self.date_start + relativedelta(years=years + 1)
        in_period = anniversary <= date_to and (not self.date_end or anniversary <= self.date_end)
        return anniversary if in_period else None

    @api.model
    def _carshare_insured(self, partner, community, day):
        """The yearly insurance subscription covering ``partner`` in ``community`` on ``day``."""
        return self.search(
            [
                ("partner_id", "=", partner.id),
                ("community_id", "=", community.id),
                ("plan_id.kind", "=", "insurance"),
                *self._active_domain(day, day),
            ],
            limit=1,
        )
