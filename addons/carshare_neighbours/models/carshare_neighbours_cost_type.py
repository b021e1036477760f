from odoo import fields, models


class CarshareNeighboursCostType(models.Model):
    _name = "carshare.neighbours.cost.type"
    _description = "Neighbours' Car Cost Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    driver_own = fields.Boolean(
        string="Paid by the Driver",
        help="Tolls, parking, fines and at-fault accident costs are paid by the driver "
        "concerned and stay out of the shared accounts.",
    )
    description = fields.Text(translate=True)
