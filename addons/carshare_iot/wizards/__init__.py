from . import carshare_iot_broker_wizard
