from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL


class CarshareDamage(models.Model):
    _inherit = "carshare.damage"

    carshare_booking_id = fields.Many2one(
        related="inspection_id.booking_id", string="Booking", store=True, index="btree_not_null"
    )
    carshare_excess_move_id = fields.Many2one(
        "account.move",
        string="Excess Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="carshare_fleet.group_carshare_manager,carshare_billing.group_carshare_accountant",
        help="The insurance excess invoiced to the responsible driver; a deposit capture may "
        "pay it.",
    )
    carshare_excess_status = fields.Selection(
        [
            ("none", "No Excess"),
            ("waived", "Bought Back"),
            ("invoiced", "Invoiced"),
        ],
        string="Excess",
        compute="_compute_carshare_excess_status",
    )

    @api.depends("responsible", "carshare_excess_move_id", "carshare_booking_id")
    def _compute_carshare_excess_status(self):
        for damage in self:
            if damage.sudo().carshare_excess_move_id:
                damage.carshare_excess_status = "invoiced"
            elif damage.responsible and damage.carshare_booking_id.sudo()._carshare_excess_waived():
                damage.carshare_excess_status = "waived"
            else:
                damage.carshare_excess_status = "none"

    @api.model_create_multi
    def create(self, vals_list):
        damages = super().create(vals_list)
        damages.filtered("responsible")._carshare_check_responsible_right()
        damages._carshare_invoice_excess()
        return damages

    def write(self, vals):
        changed = self.browse()
        if "responsible" in vals:
            changed = self.filtered(lambda d: d.responsible != bool(vals["responsible"]))
            changed._carshare_check_responsible_right()
        result = super().write(vals)
        if vals.get("responsible"):
            self._carshare_invoice_excess()
        elif changed:
            changed._carshare_credit_excess()
        return result

    def unlink(self):
        # A deleted damage leaves no excess invoice behind: credit it first.
        self._check_validated_unchanged(self.inspection_id)
        self._carshare_credit_excess()
        return super().unlink()

    def _carshare_check_responsible_right(self):
        """Holding a driver responsible at a validated check-in invoices the excess: only a
        manager decides it."""
        if self.env.su or self.env.user.has_group("carshare_fleet.group_carshare_manager"):
            return
        validated = self.filtered(
            lambda d: d.inspection_id.kind == "checkin" and d.inspection_id.state == "done"
        )
        if validated:
            raise AccessError(
                self.env._(
                    "Only a fleet manager may hold the driver responsible for the damage "
                    "%(damage)s, or clear it, once the check-in is validated: it decides the "
                    "excess the driver pays.",
                    damage=validated[0].description,
                )
            )

    def _carshare_credit_excess(self):
        """Reverse the excess invoice of the damages no longer held against the driver with a
        credit note, as Odoo's reversal wizard does; settle the invoice with it when unpaid."""
        credit_notes = self.env["account.move"].sudo()
        for damage in self.sudo().filtered("carshare_excess_move_id"):
            invoice = damage.carshare_excess_move_id
            reason = self.env._(
                "Driver no longer responsible for the damage %(damage)s",
                damage=damage.description,
            )
            values = {"ref": reason, "invoice_date": fields.Date.context_today(self)}
            if invoice.payment_state == "not_paid":
                credit_note = invoice._reverse_moves([values], cancel=True)
            else:
                credit_note = invoice._reverse_moves([values])
                credit_note.action_post()
            damage.carshare_excess_move_id = False
            credit_notes |= credit_note
        return credit_notes.with_env(self.env)

    def _carshare_invoice_excess(self):
        """Invoice the excess of the responsible damages found at a validated check-in, once
        per damage, unless the driver bought it back or holds a yearly insurance."""
        damages = self.sudo()._carshare_excess_due()
        if not damages:
            return self.env["account.move"]
        # Two saves of the same damage at once must not invoice it twice.
        self.env.cr.execute(
            SQL("SELECT id FROM carshare_damage WHERE id IN %s FOR UPDATE", tuple(damages.ids))
        )
        damages.invalidate_recordset(["carshare_excess_move_id"])
        moves = self.env["account.move"].sudo()
        for damage in damages._carshare_excess_due():
            values = damage._carshare_excess_values()
            if not values["invoice_line_ids"]:
                continue
            move = moves.with_company(damage.company_id).create(values)
            # Posted only: the deposit capture pays it, not the direct-debit orders.
            move.action_post()
            damage.carshare_excess_move_id = move
            moves |= move
        return moves.with_env(self.env)

    def _carshare_excess_due(self):
        return self.filtered(
            lambda d: d.responsible
            and not d.carshare_excess_move_id
            and d.inspection_id.kind == "checkin"
            and d.inspection_id.state == "done"
            and d.carshare_booking_id.community_id.tariff_id
            and d.carshare_booking_id.partner_id
            and not d.carshare_booking_id._carshare_excess_waived()
        )

    def _carshare_excess_values(self):
        booking = self.carshare_booking_id
        driver = booking.partner_id
        tariff = booking.community_id.tariff_id.with_context(lang=driver.lang or self.env.lang)
        line = tariff._version_at(booking.date_start)._excess_lines()
        fiscal_position = (
            self.env["account.fiscal.position"]
            .with_company(self.company_id)
            ._get_fiscal_position(driver)
        )
        invoice_lines = [
            Command.create(
                {
                    "product_id": values["product"].id,
                    "name": f"{values['name']}: {self.description} ({booking.name})",
                    "quantity": values["quantity"],
                    "price_unit": values["price_unit"],
                    "tax_ids": [
                        Command.set(
                            tariff._line_taxes(
                                values["product"],
                                self.company_id,
                                fiscal_position,
                                values["tax_included"],
                            ).ids
                        )
                    ],
                    "carshare_booking_id": booking.id,
                    "carshare_component": "excess",
                }
            )
            for values in line
        ]
        return {
            "move_type": "out_invoice",
            "partner_id": driver.id,
            "company_id": self.company_id.id,
            "fiscal_position_id": fiscal_position.id,
            "invoice_origin": booking.name,
            "carshare_community_id": booking.community_id.id,
            "carshare_damage_id": self.id,
            "invoice_line_ids": invoice_lines,
        }
