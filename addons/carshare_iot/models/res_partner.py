import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..iotlib import protocol


class ResPartner(models.Model):
    _inherit = "res.partner"

    carshare_badge_uid = fields.Char(
        string="RFID Badge",
        copy=False,
        groups="carshare_fleet.group_carshare_user",
        help="Hexadecimal identifier of the driver's badge: the vehicles' readers accept it "
        "during the driver's bookings.",
    )

    @api.constrains("carshare_badge_uid")
    def _check_carshare_badge_uid(self):
        for partner in self.filtered("carshare_badge_uid"):
            if not re.fullmatch(protocol.BADGE.pattern.pattern, partner.carshare_badge_uid):
                raise ValidationError(
                    self.env._(
                        "The badge of %(driver)s must be 4 to 32 hexadecimal characters.",
                        driver=partner.display_name,
                    )
                )
