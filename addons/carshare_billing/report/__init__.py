from . import account_invoice_report, carshare_community_statement, carshare_ereporting
