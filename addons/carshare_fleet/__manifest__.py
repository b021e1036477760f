{
    "name": "Carsharing: Fleet",
    "summary": "Stations, communities and their rules, shared vehicles, drivers, "
    "check-out and check-in reports",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["fleet", "mail", "resource"],
    "data": [
        "security/carshare_security.xml",
        "security/ir.model.access.csv",
        "security/carshare_rules.xml",
        "data/carshare_data.xml",
        "views/carshare_station_views.xml",
        "views/carshare_community_views.xml",
        "views/carshare_membership_views.xml",
        "views/carshare_claim_views.xml",
        "views/res_partner_views.xml",
        "views/fleet_vehicle_views.xml",
        "views/carshare_inspection_views.xml",
        "wizards/carshare_membership_suspend_wizard_views.xml",
        "views/carshare_menus.xml",
    ],
    "demo": [
        "demo/carshare_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "carshare_fleet/static/tests/tours/*.js",
        ],
    },
    "application": True,
}
