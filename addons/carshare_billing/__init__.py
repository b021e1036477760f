from . import models, report, wizards


def post_init_hook(env):
    """Companies already on the French chart get its carsharing defaults."""
    env["res.company"].search([("chart_template", "=", "fr")])._carshare_set_fr_defaults()
