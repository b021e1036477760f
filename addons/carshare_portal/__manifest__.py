{
    "name": "Carsharing: Portal",
    "summary": "Residents and agents self-service in the customer portal",
    "version": "18.0.2.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_booking", "portal"],
    "data": [
        "security/ir.model.access.csv",
        "security/carshare_portal_security.xml",
        "data/ir_config_parameter_data.xml",
        "data/mail_template_data.xml",
        "views/carshare_community_views.xml",
        "views/carshare_portal_templates.xml",
    ],
    "demo": ["demo/carshare_portal_demo.xml"],
    "assets": {
        "web.assets_frontend": [
            "carshare_portal/static/src/scss/carshare_portal.scss",
        ],
        "web.assets_tests": [
            "carshare_portal/static/tests/tours/*.js",
        ],
    },
}
