from . import (
    carshare_booking,
    carshare_community,
    carshare_gbfs_document,
    carshare_gbfs_feed,
    carshare_station,
    fleet_vehicle,
)
