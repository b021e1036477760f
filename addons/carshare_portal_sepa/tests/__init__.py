from . import test_portal_mandates
