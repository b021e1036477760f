from . import (
    test_booking_billing,
    test_chorus,
    test_deposit,
    test_insurance,
    test_money_path,
    test_month_end,
    test_payout,
    test_reversal,
    test_sepa,
    test_stripe_payment,
    test_stripe_webhook,
    test_tariff,
)
