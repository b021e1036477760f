from . import carshare_booking, carshare_community, carshare_membership, res_partner
