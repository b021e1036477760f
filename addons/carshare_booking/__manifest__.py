{
    "name": "Carsharing: Booking",
    "summary": "Booking engine, lifecycle, late returns, automatic transfer and planning",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_fleet", "web_timeline"],
}
