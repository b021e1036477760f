from . import account_move, account_payment_order, res_company
