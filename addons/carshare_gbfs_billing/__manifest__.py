{
    "name": "Carsharing: GBFS Pricing Plans",
    "summary": "Publishes the community's tariff as GBFS pricing plans",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_gbfs", "carshare_billing"],
    "auto_install": True,
}
