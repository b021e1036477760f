{
    "name": "Carsharing: Billing",
    "summary": "Tariffs, bookings as sale orders and invoices, Chorus Pro, SEPA, Stripe",
    "version": "18.0.1.0.0",
    "category": "Services/Carsharing",
    "author": "Carshare",
    "website": "https://github.com/carshare/carshare",
    "license": "AGPL-3",
    "depends": [
        "carshare_booking",
        "sale_management",
        "account",
        "l10n_fr_account",
        "account_edi_ubl_cii",
        "l10n_fr_facturx_chorus_pro",
        "payment_stripe",
        "account_banking_mandate",
        "account_banking_sepa_direct_debit",
        "l10n_fr_chorus_account",
    ],
    "data": [
        "security/carshare_billing_security.xml",
    ],
}
