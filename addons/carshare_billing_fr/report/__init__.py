from . import carshare_ereporting
