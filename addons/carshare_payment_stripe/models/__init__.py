from . import (
    carshare_stripe_event,
    carshare_stripe_payout,
    carshare_stripe_payout_line,
    payment_provider,
    payment_transaction,
    res_company,
)
