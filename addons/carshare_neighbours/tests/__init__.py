from . import (
    test_accounting,
    test_advance,
    test_bad_input,
    test_booking_logbook,
    test_demo,
    test_fixed_scale,
    test_logbook,
    test_real_cost,
    test_security,
    test_variants,
)
