from . import test_booking_billing, test_chorus, test_month_end, test_sepa, test_tariff
