from odoo import Command

from odoo.addons.carshare_billing.tests.common import CarshareBillingCase

ACME_IBAN = "FR1420041010050500013M02606"
COMPANY_IBAN = "FR7630001007941234567890185"


class CarshareSepaCase(CarshareBillingCase):
    @classmethod
    def _sepa_setup(cls):
        """Acme pays its month-end invoices by SEPA direct debit (B2B mandate) to the
        company's bank account."""
        cls.company.sepa_creditor_identifier = "FR78ZZZ424242"
        bank = cls.env["res.bank"].sudo().create({"name": "La Banque Postale", "bic": "PSSTFRPP"})
        sdd = cls.env.ref("account_banking_sepa_direct_debit.sepa_direct_debit")
        journal = cls.company_data["default_journal_bank"]
        journal.write(
            {
                "bank_account_id": cls.env["res.partner.bank"]
                .sudo()
                .create(
                    {
                        "acc_number": COMPANY_IBAN,
                        "bank_id": bank.id,
                        "partner_id": cls.company.partner_id.id,
                    }
                )
                .id,
                "inbound_payment_method_line_ids": [Command.create({"payment_method_id": sdd.id})],
            }
        )
        cls.payment_mode = cls.env["account.payment.mode"].create(
            {
                "name": "SEPA direct debit",
                "company_id": cls.company.id,
                "payment_method_id": sdd.id,
                "bank_account_link": "fixed",
                "fixed_journal_id": journal.id,
            }
        )
        acme_bank = (
            cls.env["res.partner.bank"]
            .sudo()
            .create({"acc_number": ACME_IBAN, "bank_id": bank.id, "partner_id": cls.employer.id})
        )
        cls.mandate = cls.env["account.banking.mandate"].create(
            {
                "partner_bank_id": acme_bank.id,
                "company_id": cls.company.id,
                "format": "sepa",
                "type": "recurrent",
                "scheme": "B2B",
                "recurrent_sequence_type": "first",
                "signature_date": "2024-12-01",
                "unique_mandate_reference": "ACME-CARSHARE-01",
                "state": "valid",
            }
        )
        cls.employer.customer_payment_mode_id = cls.payment_mode
