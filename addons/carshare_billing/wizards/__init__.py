from . import carshare_billing_run, carshare_tariff_simulator
