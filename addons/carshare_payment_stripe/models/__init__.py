from . import (
    carshare_reversal_rule,
    carshare_reversal_statement,
    carshare_stripe_event,
    carshare_stripe_payout,
    carshare_stripe_payout_line,
    payment_provider,
    payment_transaction,
    res_company,
)
