{
    "name": "Carsharing: Portal Payment",
    "summary": "Cards and deposit holds of the bookings in the customer portal",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_portal_billing", "carshare_payment"],
    "data": [
        "views/carshare_portal_templates.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "carshare_portal_payment/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
}
