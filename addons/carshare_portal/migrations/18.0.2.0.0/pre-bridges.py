from openupgradelib import openupgrade

# Records that move to a bridge, by the addon that must be installed for the bridge to be.
MOVED_XMLIDS = {
    "carshare_portal_payment": [
        "carshare_deposit_summary",
        "portal_carshare_deposits",
    ],
    "carshare_portal_sepa": [
        "portal_carshare_mandates",
    ],
}
# Each bridge, with the addons that must be installed beside carshare_portal for it.
BRIDGES = {
    "carshare_portal_billing": ["carshare_billing"],
    "carshare_portal_payment": ["carshare_billing", "carshare_payment"],
    "carshare_portal_sepa": ["carshare_billing", "carshare_billing_sepa"],
    "carshare_portal_iot": ["carshare_iot"],
}


@openupgrade.migrate()
def migrate(env, version):
    """The portal no longer needs the billing: what shows the billing, the cards, the SEPA
    mandates and the key boxes moves to bridges, installed here where their parents are."""
    openupgrade.rename_xmlids(
        env.cr,
        [
            (f"carshare_portal.{name}", f"{bridge}.{name}")
            for bridge, names in MOVED_XMLIDS.items()
            for name in names
        ],
    )
    Module = env["ir.module.module"]
    # the billing's own migration may have marked the card and SEPA addons already
    states = ("installed", "to upgrade", "to install")
    installed = set(Module.search([("state", "in", states)]).mapped("name"))
    bridges = [name for name, parents in BRIDGES.items() if installed.issuperset(parents)]
    Module.search([("name", "in", bridges), ("state", "=", "uninstalled")]).button_install()
