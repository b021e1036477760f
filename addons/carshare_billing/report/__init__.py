from . import account_invoice_report, carshare_community_statement
