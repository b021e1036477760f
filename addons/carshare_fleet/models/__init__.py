from . import (
    carshare_claim,
    carshare_community,
    carshare_damage,
    carshare_inspection,
    carshare_maintenance_window,
    carshare_membership,
    carshare_station,
    fleet_vehicle,
    res_partner,
)
