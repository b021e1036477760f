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
        "views/carshare_menus.xml",
    ],
    "application": True,
}
