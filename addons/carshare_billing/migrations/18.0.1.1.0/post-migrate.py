from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Companies on the French chart get the carsharing defaults added in this version (service
    taxes, income accounts, insurance exemption): see the module's post_init_hook."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([("chart_template", "=", "fr")])._carshare_set_fr_defaults()
