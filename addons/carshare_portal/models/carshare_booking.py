from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

ACTIVE_STATES = ("confirmed", "ongoing")


def _ics_datetime(value):
    return value.strftime("%Y%m%dT%H%M%SZ")


def _ics_text(value):
    value = (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def _ics_fold(line):
    """Fold a content line at 75 octets (RFC 5545, 3.1)."""
    parts, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            parts.append(current)
            current = " "
        current += char
    return "\r\n".join([*parts, current])


class CarshareBooking(models.Model):
    _name = "carshare.booking"
    _inherit = ["carshare.booking", "portal.mixin"]

    def _compute_access_url(self):
        for booking in self:
            booking.access_url = f"/my/carshare/bookings/{booking.id}"

    # -- what the driver may do ------------------------------------------------------------------

    def _carshare_portal_code_visible(self):
        """The access code shows from its validity until the end of the window (or the return)."""
        self.ensure_one()
        if not self.access_code or self.state not in ACTIVE_STATES:
            return False
        now = fields.Datetime.now()
        if self.state == "ongoing":
            return True
        return self.access_valid_from <= now <= self.access_valid_until

    def _carshare_portal_can_cancel(self):
        self.ensure_one()
        return self.state in ("draft", "confirmed") and self.date_start > fields.Datetime.now()

    def _carshare_portal_can_extend(self):
        self.ensure_one()
        return self.state in ACTIVE_STATES and self.date_end > fields.Datetime.now()

    def _carshare_portal_report_kinds(self):
        """Reports the driver may file now: check-out from the code's validity, check-in while
        driving; once each."""
        self.ensure_one()
        filed = set(self.inspection_ids.mapped("kind"))
        kinds = []
        if self.state in ACTIVE_STATES and self.access_valid_from <= fields.Datetime.now():
            kinds.append("checkout")
        if self.state == "ongoing":
            kinds.append("checkin")
        return [kind for kind in kinds if kind not in filed]

    # -- actions from the portal (on sudo records, after the controller's checks) ----------------

    @api.model
    def _carshare_portal_dates_error(self, community, start, end):
        """Why ``start``-``end`` cannot be searched or booked in ``community`` whatever the
        vehicle (an end before the start, a start in the past or beyond the horizon, a slot
        longer than the maximum), checked before anything computes on the dates; False when
        it can."""
        booking = self.new({"community_id": community.id, "date_start": start, "date_end": end})
        try:
            booking._check_dates()
            if start < fields.Datetime.now():
                booking._check_lead_time()
            booking._check_horizon(start)
            booking._check_duration()
        except ValidationError as exc:
            return exc.args[0]
        return False

    @api.model
    def _carshare_portal_preview(self, values):
        """First broken rule of a booking of ``values``, with what the bridges compute on it
        (its prices with the billing), on a draft rolled back."""
        try:
            with self.env.cr.savepoint() as savepoint:
                booking = self.create(self._carshare_portal_preview_draft(values))
                preview = {**booking._carshare_portal_preview_values(), "error": False}
                try:
                    booking._check_booking_rules()
                except UserError as exc:
                    preview["error"] = exc.args[0]
                savepoint.close()
        except UserError as exc:
            return {"error": exc.args[0]}
        return preview

    @api.model
    def _carshare_portal_preview_draft(self, values):
        """Values of the draft of a preview: named, so that no reference of the sequence is
        spent on it."""
        return {**values, "name": "preview"}

    def _carshare_portal_preview_values(self):
        """What the bridges show of the previewed draft: nothing here."""
        return {}

    @api.model
    def _carshare_portal_book(self, values):
        """Create and confirm a booking of ``values``: (booking, error message)."""
        try:
            with self.env.cr.savepoint():
                booking = self.create(values)
                booking.action_confirm()
        except UserError as exc:
            return self.browse(), exc.args[0]
        return booking, False

    def _carshare_portal_extend(self, date_end):
        """Move the end later when the vehicle is free; the booking's own checks apply."""
        self.ensure_one()
        if not self._carshare_portal_can_extend():
            raise UserError(self.env._("This booking can no longer be extended."))
        if date_end <= self.date_end:
            raise UserError(self.env._("Choose an end after the current one."))
        # Before anything computes on an end that may be centuries away.
        extended = {"community_id": self.community_id.id, "date_start": self.date_start}
        self.new({**extended, "date_end": date_end})._check_duration()
        self.write({"date_end": date_end})

    def _carshare_portal_report(self, kind, values, photos, damages):
        """File the driver's check-out or check-in report.

        ``photos``: list of (file name, content, mimetype); ``damages``: values of
        ``carshare.damage``.
        """
        self.ensure_one()
        if kind not in self._carshare_portal_report_kinds():
            raise UserError(self.env._("This report cannot be filed now."))
        with self.env.cr.savepoint():
            inspection = self.env["carshare.inspection"].create(
                {
                    **values,
                    "kind": kind,
                    "booking_id": self.id,
                    "vehicle_id": self.vehicle_id.id,
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "damage_ids": [Command.create(damage) for damage in damages],
                }
            )
            inspection.photo_ids = self.env["ir.attachment"].create(
                [
                    {
                        "name": name,
                        "raw": content,
                        "mimetype": mimetype,
                        "res_model": "carshare.inspection",
                        "res_id": inspection.id,
                    }
                    for name, content, mimetype in photos
                ]
            )
        return inspection

    # -- calendar --------------------------------------------------------------------------------

    def _carshare_portal_ics(self):
        """The booking as an iCalendar event (without the access code)."""
        self.ensure_one()
        station = self.station_id
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        summary = self.env._(
            "Carsharing %(booking)s: %(vehicle)s",
            booking=self.name,
            vehicle=self.vehicle_id.display_name,
        )
        url = self.get_base_url() + self.access_url
        description = "\n".join(part for part in (station.name, station.map_url, url) if part)
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Carshare//Carsharing Portal//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            f"UID:carshare-booking-{self.id}@{uuid}",
            f"DTSTAMP:{_ics_datetime(fields.Datetime.now())}",
            f"DTSTART:{_ics_datetime(self.date_start)}",
            f"DTEND:{_ics_datetime(self.date_end)}",
            f"SUMMARY:{_ics_text(summary)}",
            f"LOCATION:{_ics_text(station._address_query() or station.name)}",
            f"DESCRIPTION:{_ics_text(description)}",
        ]
        if station.latitude or station.longitude:
            lines.append(f"GEO:{station.latitude};{station.longitude}")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"
