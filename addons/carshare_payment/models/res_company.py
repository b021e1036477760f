from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    carshare_card_provider_id = fields.Many2one(
        "payment.provider",
        string="Card Payments Provider",
        check_company=True,
        domain="[('code', 'in', ('stripe', 'demo'))]",
        help="Provider of the drivers' card charges, deposits and refunds. Empty: the "
        "company's Stripe provider.",
    )

    @api.constrains("carshare_card_provider_id")
    def _check_carshare_card_provider(self):
        codes = self.env["payment.provider"]._carshare_card_codes()
        for company in self:
            provider = company.carshare_card_provider_id
            if provider and provider.code not in codes:
                raise ValidationError(
                    self.env._(
                        "%(provider)s cannot charge the drivers' cards yet: the billing has no "
                        "adapter for it.",
                        provider=provider.name,
                    )
                )
