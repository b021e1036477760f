from . import carshare_deposit_capture_wizard
