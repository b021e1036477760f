from odoo.addons.carshare_portal.controllers.search import CarsharePortalSearch


class CarsharePortalSearchBilling(CarsharePortalSearch):
    def _carshare_book_options(self, post):
        return {
            **super()._carshare_book_options(post),
            "carshare_insurance_buyback": bool(post.get("insurance_buyback")),
        }
