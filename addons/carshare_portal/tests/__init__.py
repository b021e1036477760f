from . import test_access_matrix, test_portal_access, test_portal_models, test_portal_tours
