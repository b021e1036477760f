from . import carshare_reversal_rule, carshare_reversal_statement
