from . import (
    test_access_rpc,
    test_portal_access,
    test_portal_inputs,
    test_portal_models,
    test_portal_tours,
)
