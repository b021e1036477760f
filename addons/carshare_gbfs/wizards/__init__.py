from . import carshare_gbfs_preview
