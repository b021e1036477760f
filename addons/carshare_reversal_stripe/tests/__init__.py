from . import test_money_path, test_reversal_payout
