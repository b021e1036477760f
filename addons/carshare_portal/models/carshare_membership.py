from odoo import models


class CarshareMembership(models.Model):
    _inherit = "carshare.membership"

    def action_activate(self):
        requested = self.filtered(lambda m: m.state == "requested")
        result = super().action_activate()
        for membership in requested:
            membership.message_post_with_source(
                "carshare_portal.mail_template_membership_activated",
                subtype_xmlid="mail.mt_comment",
                force_send=False,
            )
        return result

    def _carshare_portal_notify_request(self):
        """Tell the community's responsible that a driver asked to join from the portal."""
        for membership in self:
            responsible = membership.community_id.user_id
            membership.message_post(
                body=self.env._(
                    "%(driver)s asked to join %(community)s from the portal: check the documents "
                    "and activate the membership.",
                    driver=membership.partner_id.name,
                    community=membership.community_id.name,
                ),
                partner_ids=responsible.partner_id.ids,
                subtype_xmlid="mail.mt_note",
                force_send=False,
            )
