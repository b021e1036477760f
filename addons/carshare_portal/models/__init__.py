from . import carshare_booking, carshare_community, carshare_membership, ir_http, res_partner
