{
    "name": "Carsharing: Portal IoT",
    "summary": "Unlock the vehicle's key box from the customer portal",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_portal", "carshare_iot"],
    "data": [
        "views/carshare_portal_templates.xml",
    ],
    "auto_install": True,
}
