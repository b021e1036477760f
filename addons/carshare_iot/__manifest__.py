{
    "name": "Carsharing: IoT bridge",
    "summary": "MQTT bridge to key boxes, immobilisers and telematics boxes",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": ["carshare_booking"],
}
