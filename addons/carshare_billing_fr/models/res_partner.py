from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    carshare_contract_ref = fields.Char(
        string="Carsharing Contract Reference",
        help="Public procurement contract number (numéro de marché), for Chorus Pro.",
    )
