from . import test_reversal, test_reversal_pdf, test_screens
