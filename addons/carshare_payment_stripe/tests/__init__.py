from . import (
    test_deposit,
    test_payout,
    test_stripe_payment,
    test_stripe_webhook,
)
