{
    "name": "Carsharing: Portal SEPA",
    "summary": "Employers' SEPA mandates in the customer portal",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_portal_billing", "carshare_billing_sepa"],
    "data": [
        "views/carshare_portal_templates.xml",
    ],
    "auto_install": True,
}
