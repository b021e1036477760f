from . import test_money_path, test_reversal, test_reversal_payout, test_reversal_pdf, test_screens
