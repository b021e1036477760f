from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get
from odoo.addons.carshare_fleet.access import check_view


def _default_product(xmlid):
    return lambda self: self.env.ref(xmlid, raise_if_not_found=False)


class CarshareTariff(models.Model):
    _name = "carshare.tariff"
    _description = "Carsharing Tariff"
    _inherit = ["mail.thread"]
    _order = "community_id, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    community_id = fields.Many2one(
        "carshare.community",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        related="community_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        required=True,
        default=lambda self: self.env.company.partner_id.tz or self.env.user.tz or "UTC",
        help="Time slots, days and calendar months of the prices are read in this timezone.",
    )
    price_include_tax = fields.Boolean(
        string="Prices Include Taxes",
        default=True,
        tracking=True,
        help="The prices of the versions are public prices, taxes included. The late return fee "
        "is always taxes included.",
    )
    version_ids = fields.One2many("carshare.tariff.version", "tariff_id", string="Versions")
    plan_ids = fields.One2many(
        "carshare.subscription.plan", "tariff_id", string="Subscription Plans"
    )
    product_time_id = fields.Many2one(
        "product.product",
        string="Time",
        required=True,
        default=_default_product("carshare_billing.product_carshare_time"),
    )
    product_day_id = fields.Many2one(
        "product.product",
        string="Day Rate",
        required=True,
        default=_default_product("carshare_billing.product_carshare_day"),
    )
    product_km_id = fields.Many2one(
        "product.product",
        string="Distance",
        required=True,
        default=_default_product("carshare_billing.product_carshare_km"),
    )
    product_booking_fee_id = fields.Many2one(
        "product.product",
        string="Booking Fee",
        required=True,
        default=_default_product("carshare_billing.product_carshare_booking_fee"),
    )
    product_monthly_fee_id = fields.Many2one(
        "product.product",
        string="Monthly Management Fee",
        required=True,
        default=_default_product("carshare_billing.product_carshare_monthly_fee"),
    )
    product_late_fee_id = fields.Many2one(
        "product.product",
        string="Late Return Fee",
        required=True,
        default=_default_product("carshare_billing.product_carshare_late_fee"),
    )
    product_cancellation_fee_id = fields.Many2one(
        "product.product",
        string="Cancellation Fee",
        required=True,
        default=_default_product("carshare_billing.product_carshare_cancellation_fee"),
    )
    product_no_show_fee_id = fields.Many2one(
        "product.product",
        string="No-Show Fee",
        required=True,
        default=_default_product("carshare_billing.product_carshare_no_show_fee"),
    )

    product_insurance_id = fields.Many2one(
        "product.product",
        string="Insurance Buy-Back",
        required=True,
        default=_default_product("carshare_billing.product_carshare_insurance"),
    )
    product_excess_id = fields.Many2one(
        "product.product",
        string="Insurance Excess",
        required=True,
        default=_default_product("carshare_billing.product_carshare_excess"),
    )

    @api.constrains("community_id", "active")
    def _check_single_tariff(self):
        for tariff in self:
            if len(tariff.community_id.tariff_ids) > 1:
                raise ValidationError(
                    self.env._(
                        "The community %(community)s already has a tariff: add a version to it "
                        "to change its prices.",
                        community=tariff.community_id.name,
                    )
                )

    def _local_date(self, moment):
        """The date, in the tariff's timezone, of ``moment`` (a naive UTC datetime)."""
        return pytz.utc.localize(moment).astimezone(pytz.timezone(self.tz)).date()

    def _utc(self, day):
        """Midnight of ``day`` in the tariff's timezone, as a naive UTC datetime."""
        local = pytz.timezone(self.tz).localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _version_at(self, moment):
        """The version whose prices apply to a booking starting at ``moment`` (naive UTC)."""
        self.ensure_one()
        day = self._local_date(moment)
        version = self.version_ids.filtered(
            lambda v: v.date_from <= day and (not v.date_to or day <= v.date_to)
        )
        if not version:
            raise UserError(
                self.env._(
                    "No version of the tariff %(tariff)s covers %(date)s: add one first.",
                    tariff=self.name,
                    date=fields.Date.to_string(day),
                )
            )
        return version

    @api.model
    def _line_taxes(self, product, company, fiscal_position, tax_included, component=None):
        """Taxes of a line: the product's, else the company's default sales tax, as taxes of a
        service (see ``account.tax._carshare_service_taxes``); those the law sets for the
        component instead (``res.company._carshare_component_taxes``)."""
        taxes = (
            company._carshare_component_taxes(component)
            or product.taxes_id._filter_taxes_by_company(company)
            or company.account_sale_tax_id
        )
        taxes = fiscal_position.map_tax(taxes)._carshare_service_taxes(company)
        return taxes._carshare_tax_included() if tax_included else taxes

    def _priced_rows(self, lines, fiscal_position=None, partner=None):
        """``lines`` (``price_line`` dicts) with their amounts, taxes excluded (``untaxed``) and
        included (``total``), as their order lines would compute them."""
        self.ensure_one()
        fiscal_position = fiscal_position or self.env["account.fiscal.position"]
        rows = []
        for line in lines:
            if line.get("display_type"):
                continue
            taxes = self._line_taxes(
                line["product"],
                self.company_id,
                fiscal_position,
                line["tax_included"],
                line["component"],
            )
            amounts = taxes.compute_all(
                line["price_unit"] * (1 - line["discount"] / 100),
                currency=self.currency_id,
                quantity=line["quantity"],
                product=line["product"],
                partner=partner,
            )
            rows.append(
                {**line, "untaxed": amounts["total_excluded"], "total": amounts["total_included"]}
            )
        return rows

    def action_open_simulator(self):
        check_view(self)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Price Simulator"),
            "res_model": "carshare.tariff.simulator",
            "view_mode": "form",
            "target": "new",
            "context": {"default_tariff_id": self.id},
        }
