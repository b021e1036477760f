{
    "name": "Carsharing: Stripe",
    "summary": "Stripe for the card payments: partial captures, webhook events, payouts and "
    "their fees",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_payment", "payment_stripe"],
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "security/carshare_payment_stripe_security.xml",
        "data/ir_cron_data.xml",
        "views/res_company_views.xml",
        "views/carshare_stripe_event_views.xml",
        "views/carshare_stripe_payout_views.xml",
        "views/carshare_payment_stripe_menus.xml",
    ],
}
