from odoo import models
from odoo.tools import SQL

from .carshare_iot_message import TABLE


class IrModel(models.Model):
    _inherit = "ir.model"

    def _drop_table(self):
        # The ORM drops no partitioned table; the message log's goes, with its partitions, once
        # the uninstall has removed the records that read it (the devices' messages).
        log = self.filtered(lambda model: model.model == "carshare.iot.message")
        if log:
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(TABLE)))
        return super(IrModel, self - log)._drop_table()
