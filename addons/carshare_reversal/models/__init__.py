from . import (
    account_move,
    account_move_line,
    carshare_reversal_rule,
    carshare_reversal_share,
    carshare_reversal_statement,
    carshare_reversal_statement_line,
)
