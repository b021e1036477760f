{
    "name": "Carsharing: Portal",
    "summary": "Residents and agents self-service in the customer portal",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_billing", "portal"],
}
