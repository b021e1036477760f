{
    "name": "Carsharing: GBFS Open Data",
    "summary": "Stations, vehicles, availability and prices as GBFS 3.0 open data feeds",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_booking"],
    "data": [
        "security/ir.model.access.csv",
        "views/carshare_community_views.xml",
        "wizards/carshare_gbfs_preview_views.xml",
    ],
    "demo": ["demo/carshare_gbfs_demo.xml"],
}
