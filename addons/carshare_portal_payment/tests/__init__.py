from . import test_portal_access, test_screens
