from . import (
    carshare_availability,
    carshare_booking,
    carshare_booking_report,
    carshare_community,
    carshare_inspection,
    fleet_vehicle,
    res_partner,
)
