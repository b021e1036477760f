{
    "name": "Carsharing: Revenue Reversal",
    "summary": "Reverses a community's paid revenue to its beneficiaries, period by period",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_billing"],
    "data": [
        "security/ir.model.access.csv",
        "security/carshare_reversal_security.xml",
        "data/carshare_reversal_data.xml",
        "data/product_data.xml",
        "data/ir_cron_data.xml",
        "views/carshare_reversal_views.xml",
        "report/carshare_reversal_statement_report.xml",
        "views/carshare_reversal_menus.xml",
    ],
    "demo": ["demo/carshare_reversal_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "carshare_reversal/static/tests/tours/*.js",
        ],
    },
}
