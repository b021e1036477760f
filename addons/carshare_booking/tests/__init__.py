from . import (
    test_booking_availability,
    test_booking_changes,
    test_booking_crons,
    test_booking_distance_check,
    test_booking_hooks,
    test_booking_lifecycle,
    test_booking_race,
    test_booking_rules,
    test_booking_transfer,
)
