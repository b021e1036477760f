from odoo.http import request

from odoo.addons.carshare_portal.controllers.bookings import CarsharePortalBookings
from odoo.addons.payment import utils as payment_utils


class CarsharePortalBookingsPayment(CarsharePortalBookings):
    """The booking's deposit, and the form that registers the driver's card."""

    def _carshare_driver_page_values(self, booking_sudo):
        return {
            **super()._carshare_driver_page_values(booking_sudo),
            "deposits": booking_sudo.carshare_deposit_ids,
            **self._carshare_card_form_values(booking_sudo),
        }

    def _carshare_card_form_values(self, booking_sudo):
        """Odoo's payment form to register the driver's card with the company's card provider
        (Stripe, or payment_demo in test state), for personal use."""
        if booking_sudo.usage != "perso" or booking_sudo.state != "confirmed":
            return {}
        partner = request.env.user.partner_id
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                booking_sudo.company_id.id,
                partner.id,
                0.0,
                force_tokenization=True,
                is_validation=True,
            )
            .filtered(
                lambda p: p
                == request.env["payment.provider"]._carshare_card_provider(booking_sudo.company_id)
            )
        )
        if not providers:
            return {}
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(providers.ids, partner.id, force_tokenization=True)
        )
        return {
            "card_form": True,
            "mode": "validation",
            "allow_token_selection": False,
            "reference_prefix": payment_utils.singularize_reference_prefix(prefix="V"),
            "partner_id": partner.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": request.env["payment.token"]
            .sudo()
            ._get_available_tokens(None, partner.id, is_validation=True),
            "transaction_route": "/payment/transaction",
            "landing_route": booking_sudo.access_url,
            "access_token": payment_utils.generate_access_token(partner.id, None, None),
        }
