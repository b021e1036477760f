{
    "name": "Carsharing: SEPA Direct Debit",
    "summary": "Employers pay their month-end invoices by SEPA direct debit, under a mandate",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": [
        "carshare_billing",
        "account_banking_mandate",
        "account_banking_sepa_direct_debit",
    ],
    "auto_install": ["carshare_billing", "account_banking_sepa_direct_debit"],
    "data": [
        "security/carshare_billing_sepa_security.xml",
        "views/account_move_views.xml",
        "views/res_company_views.xml",
        "views/carshare_billing_sepa_menus.xml",
    ],
    "demo": ["demo/carshare_billing_sepa_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "carshare_billing_sepa/static/tests/tours/*.js",
        ],
    },
}
