from . import test_portal_access, test_portal_inputs, test_portal_models, test_portal_tours
