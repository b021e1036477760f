from . import carshare_gbfs_feed
