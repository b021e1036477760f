from . import (
    test_access_rights,
    test_booking_billing,
    test_distance_hold,
    test_generic_company,
    test_insurance,
    test_invoice_pdf,
    test_jobs,
    test_month_end,
    test_screens,
    test_tariff,
)
