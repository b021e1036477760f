from . import (
    carshare_booking,
    carshare_iot_command,
    carshare_iot_device,
    carshare_iot_message,
    carshare_station,
    fleet_vehicle,
    ir_model,
    res_partner,
)
