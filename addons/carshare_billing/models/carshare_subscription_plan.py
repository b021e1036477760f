from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CarshareSubscriptionPlan(models.Model):
    _name = "carshare.subscription.plan"
    _description = "Carsharing Subscription Plan"
    _order = "tariff_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    tariff_id = fields.Many2one(
        "carshare.tariff", required=True, index=True, ondelete="cascade", check_company=True
    )
    community_id = fields.Many2one(related="tariff_id.community_id", store=True, index=True)
    company_id = fields.Many2one(related="tariff_id.company_id", store=True)
    currency_id = fields.Many2one(related="tariff_id.currency_id")
    kind = fields.Selection(
        [("discount", "Discounts"), ("insurance", "Yearly Insurance")],
        required=True,
        default="discount",
        help="Discounts: a monthly fee for lower prices. Yearly insurance: the tariff's yearly "
        "insurance price each year; its members pay no daily buy-back and no excess.",
    )
    monthly_fee = fields.Monetary(help="Charged to the subscriber every month.")
    time_discount = fields.Float(
        string="Discount on Time (%)", help="Lowers the hourly, slot and day prices."
    )
    km_discount = fields.Float(string="Discount on Distance (%)")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        default=lambda self: self.env.ref(
            "carshare_billing.product_carshare_subscription", raise_if_not_found=False
        ),
        help="Invoiced every month for the monthly fee.",
    )
    subscription_count = fields.Integer(compute="_compute_subscription_count")

    def _compute_subscription_count(self):
        counts = dict(
            self.env["carshare.subscription"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.subscription_count = counts.get(plan, 0)

    @api.constrains("monthly_fee", "time_discount", "km_discount")
    def _check_prices(self):
        for plan in self:
            if plan.monthly_fee < 0:
                raise ValidationError(
                    self.env._(
                        "The monthly fee of the plan %(plan)s cannot be negative.", plan=plan.name
                    )
                )
            if not (0 <= plan.time_discount <= 100 and 0 <= plan.km_discount <= 100):
                raise ValidationError(
                    self.env._(
                        "The discounts of the plan %(plan)s must be between 0 and 100 %%.",
                        plan=plan.name,
                    )
                )
