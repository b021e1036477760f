from . import test_accounting, test_chorus, test_invoice_pdf, test_payment_means
