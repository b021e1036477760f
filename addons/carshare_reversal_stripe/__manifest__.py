{
    "name": "Carsharing: Revenue Reversal with Stripe",
    "summary": "Stripe's fees of the reconciled payouts deducted by the revenue reversal",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_reversal", "carshare_payment_stripe"],
    "auto_install": True,
    "data": [
        "views/carshare_reversal_views.xml",
    ],
}
