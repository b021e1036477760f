from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPaymentMeans(TransactionCase):
    def test_methods_carry_their_unece_code(self):
        # Chorus Pro checks each invoice's payment means: 30 a transfer, 59 a SEPA direct debit,
        # whichever addon brought the method and in whichever order they were installed.
        manual = self.env.ref("account.account_payment_method_manual_in")
        self.assertEqual(manual.unece_code, "30")
        sepa = self.env.ref(
            "account_banking_sepa_direct_debit.sepa_direct_debit", raise_if_not_found=False
        )
        if sepa:
            self.assertEqual(sepa.unece_code, "59")
