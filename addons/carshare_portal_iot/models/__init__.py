from . import carshare_booking
