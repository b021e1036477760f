from . import test_gbfs_pricing
