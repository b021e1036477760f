from . import (
    test_community,
    test_demo,
    test_driver_eligibility,
    test_input_bounds,
    test_inspection,
    test_membership,
    test_security,
    test_station,
    test_vehicle,
)
