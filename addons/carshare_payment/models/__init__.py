from . import (
    account_move,
    carshare_booking,
    carshare_community,
    carshare_deposit,
    carshare_deposit_capture,
    carshare_inspection,
    payment_provider,
    payment_transaction,
    res_company,
)
