{
    "name": "Carsharing: Demo History",
    "summary": "The carshare-demo-history command: months of bookings, invoices and payments",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": [
        "carshare_billing",
        "carshare_portal",
        "carshare_iot",
        "carshare_neighbours",
        "carshare_reversal",
        "carshare_billing_sepa",
    ],
    "external_dependencies": {"python": ["freezegun", "Pillow"]},
}
