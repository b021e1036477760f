from . import (
    carshare_booking,
    carshare_community,
    carshare_membership,
    carshare_neighbours_advance,
    carshare_neighbours_cost_type,
    carshare_neighbours_expense,
    carshare_neighbours_owner,
    carshare_neighbours_settlement,
    carshare_neighbours_settlement_line,
    carshare_neighbours_transfer,
    carshare_neighbours_trip,
)
