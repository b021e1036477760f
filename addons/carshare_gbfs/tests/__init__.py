from . import test_gbfs_feeds, test_gbfs_http
