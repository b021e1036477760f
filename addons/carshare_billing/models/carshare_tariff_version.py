import math
from collections import defaultdict
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

MONETARY_FIELDS = [
    "hour_price",
    "day_price",
    "km_price",
    "booking_fee",
    "monthly_fee",
    "late_fee",
    "cancellation_fee",
    "no_show_fee",
    "insurance_day_price",
    "insurance_year_price",
    "insurance_excess",
]


def price_line(
    key, component, product, name, quantity, price_unit, discount=0.0, tax_included=False
):
    """A priced component of a booking, as the sale order line it becomes."""
    return {
        "key": key,
        "component": component,
        "product": product,
        "name": name,
        "quantity": quantity,
        "price_unit": price_unit,
        "discount": discount,
        "tax_included": tax_included,
    }


class CarshareTariffVersion(models.Model):
    _name = "carshare.tariff.version"
    _description = "Carsharing Tariff Version"
    _order = "tariff_id, date_from desc, id"
    _check_company_auto = True

    tariff_id = fields.Many2one(
        "carshare.tariff", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="tariff_id.company_id", store=True, precompute=True)
    currency_id = fields.Many2one(related="tariff_id.currency_id")
    date_from = fields.Date(string="Valid From", required=True, default=fields.Date.context_today)
    date_to = fields.Date(string="Valid Until", help="Leave empty while the prices hold.")
    hour_price = fields.Monetary(
        string="Price per Hour", default=1.5, help="Outside the time slots below."
    )
    day_price = fields.Monetary(
        string="Price per Day",
        help="Caps each 24 hours of a booking when the hours would cost more. 0: no day rate.",
    )
    km_price = fields.Monetary(string="Price per km", help="0: kilometres are free.")
    km_included = fields.Float(
        string="Kilometres Included", help="Per booking, before the price per km applies."
    )
    slot_ids = fields.One2many("carshare.tariff.slot", "version_id", string="Time Slots", copy=True)
    booking_fee = fields.Monetary(default=1.0, help="Charged once per booking.")
    monthly_fee = fields.Monetary(
        string="Monthly Management Fee",
        default=4.0,
        help="Charged to a member once in each month in which they returned a vehicle.",
    )
    late_fee = fields.Monetary(
        string="Late Return Fee (tax incl.)",
        default=10.0,
        help="Per started late period once the grace period is over, taxes included.",
    )
    late_fee_minutes = fields.Integer(string="Late Period (minutes)", default=30)
    cancellation_fee = fields.Monetary(help="Charged when a booking is cancelled too late.")
    cancellation_deadline_hours = fields.Float(
        string="Free Cancellation Until (hours)",
        help="A booking cancelled less than this many hours before its start pays the "
        "cancellation fee.",
    )
    no_show_fee = fields.Monetary(
        string="No-Show Fee", help="Charged when the vehicle is not picked up in time."
    )
    insurance_day_price = fields.Monetary(
        string="Excess Buy-Back per Day",
        default=7.6,
        help="Per started day of a booking whose driver buys back the insurance excess.",
    )
    insurance_year_price = fields.Monetary(
        string="Yearly Insurance",
        default=96.5,
        help="Charged each year to the members of a yearly insurance plan: they pay no daily "
        "buy-back and no excess.",
    )
    insurance_excess = fields.Monetary(
        string="Insurance Excess (tax excl.)",
        default=900.0,
        help="Invoiced to a driver responsible for a damage found at check-in, taxes excluded, "
        "unless the excess was bought back.",
    )

    @api.depends("tariff_id", "date_from", "date_to")
    def _compute_display_name(self):
        for version in self:
            if version.date_to:
                version.display_name = self.env._(
                    "%(tariff)s, %(start)s to %(end)s",
                    tariff=version.tariff_id.name,
                    start=format_date(self.env, version.date_from),
                    end=format_date(self.env, version.date_to),
                )
            else:
                version.display_name = self.env._(
                    "%(tariff)s, from %(start)s",
                    tariff=version.tariff_id.name,
                    start=format_date(self.env, version.date_from),
                )

    @api.constrains(*MONETARY_FIELDS, "km_included", "cancellation_deadline_hours")
    def _check_non_negative(self):
        for version in self:
            for name in [*MONETARY_FIELDS, "km_included", "cancellation_deadline_hours"]:
                if version[name] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(price)s cannot be negative (tariff %(tariff)s).",
                            price=self._fields[name]._description_string(self.env),
                            tariff=version.tariff_id.name,
                        )
                    )

    @api.constrains("late_fee_minutes")
    def _check_late_fee_minutes(self):
        for version in self:
            if version.late_fee_minutes <= 0:
                raise ValidationError(
                    self.env._(
                        "The late period of tariff %(tariff)s must last at least one minute.",
                        tariff=version.tariff_id.name,
                    )
                )

    @api.constrains("tariff_id", "date_from", "date_to")
    def _check_dates(self):
        for version in self:
            if version.date_to and version.date_to < version.date_from:
                raise ValidationError(
                    self.env._(
                        "A version of tariff %(tariff)s ends before it starts.",
                        tariff=version.tariff_id.name,
                    )
                )
            overlapping = version.tariff_id.version_ids.filtered(version._overlaps)
            if overlapping:
                raise ValidationError(
                    self.env._(
                        "The versions %(version)s and %(other)s of a tariff overlap: end one "
                        "before the other starts.",
                        version=version.display_name,
                        other=overlapping[0].display_name,
                    )
                )

    def _overlaps(self, other):
        return (
            other != self
            and (not other.date_to or self.date_from <= other.date_to)
            and (not self.date_to or other.date_from <= self.date_to)
        )

    # -- pricing ---------------------------------------------------------------------------------

    def _price_trip(self, start, end, distance_km, plan):
        """Lines for the time and distance of a trip from ``start`` to ``end`` (naive UTC).

        Each 24 hours from the start cost the day price when the hours would cost more.
        ``plan`` (a subscription plan, possibly empty) discounts time and distance.
        """
        self.ensure_one()
        tariff = self.tariff_id
        hours_by_slot = defaultdict(float)
        capped_days = 0
        period_start = start
        while period_start < end:
            period_end = min(period_start + timedelta(days=1), end)
            hours = self._hours_by_slot(period_start, period_end)
            cost = sum(self._hour_price(slot) * count for slot, count in hours.items())
            if self.day_price and self.currency_id.compare_amounts(self.day_price, cost) < 0:
                capped_days += 1
            else:
                for slot, count in hours.items():
                    hours_by_slot[slot] += count
            period_start = period_end
        lines = [
            price_line(
                f"time:{slot.id}" if slot else "time",
                "time",
                tariff.product_time_id,
                self._time_label(slot),
                round(count, 2),
                self._hour_price(slot),
                plan.time_discount,
                tariff.price_include_tax,
            )
            for slot, count in sorted(hours_by_slot.items(), key=lambda item: item[0].sequence)
            if round(count, 2)
        ]
        if capped_days:
            lines.append(
                price_line(
                    "day",
                    "day",
                    tariff.product_day_id,
                    self.env._("Day rate"),
                    capped_days,
                    self.day_price,
                    plan.time_discount,
                    tariff.price_include_tax,
                )
            )
        billable_km = max(distance_km - self.km_included, 0.0)
        if self.km_price and billable_km:
            lines.append(
                price_line(
                    "km",
                    "distance",
                    tariff.product_km_id,
                    self._km_label(),
                    round(billable_km, 2),
                    self.km_price,
                    plan.km_discount,
                    tariff.price_include_tax,
                )
            )
        return lines

    def _hours_by_slot(self, start, end):
        """{slot: hours} between ``start`` and ``end`` (naive UTC), read in the tariff's timezone.

        The empty slot collects the hours priced at the version's price per hour; where slots
        overlap, the first one in sequence wins.
        """
        tz = pytz.timezone(self.tariff_id.tz)
        local_start = pytz.utc.localize(start).astimezone(tz)
        local_end = pytz.utc.localize(end).astimezone(tz)
        hours = defaultdict(float)
        day = local_start.date()
        while day <= local_end.date():
            slots = self.slot_ids._on_weekday(day.weekday())
            cuts = sorted({0.0, 24.0, *slots.mapped("hour_from"), *slots.mapped("hour_to")})
            for hour_from, hour_to in pairwise(cuts):
                segment_start = max(local_start, self._local_moment(tz, day, hour_from))
                segment_end = min(local_end, self._local_moment(tz, day, hour_to))
                if segment_end > segment_start:
                    slot = slots.filtered(lambda s, h=hour_from: s.hour_from <= h < s.hour_to)[:1]
                    hours[slot] += (segment_end - segment_start).total_seconds() / 3600
            day += timedelta(days=1)
        return hours

    @staticmethod
    def _local_moment(tz, day, hour):
        return tz.localize(datetime.combine(day, time.min) + timedelta(hours=hour))

    def _hour_price(self, slot):
        return slot.hour_price if slot else self.hour_price

    def _time_label(self, slot):
        if slot:
            return self.env._("Time, %(slot)s", slot=slot.name)
        return self.env._("Time")

    def _km_label(self):
        if self.km_included:
            included = f"{self.km_included:g}"
            return self.env._("Distance beyond the %(km)s km included", km=included)
        return self.env._("Distance")

    def _late_periods(self, late_minutes):
        """Started late periods in ``late_minutes`` (0 within the grace period)."""
        return math.ceil(late_minutes / self.late_fee_minutes) if late_minutes > 0 else 0

    def _fee_line(self, component, amount, name, quantity=1, tax_included=None):
        tariff = self.tariff_id
        if tax_included is None:
            tax_included = tariff.price_include_tax
        product = tariff[f"product_{component}_id"]
        return price_line(
            component, component, product, name, quantity, amount, tax_included=tax_included
        )

    def _booking_fee_lines(self):
        if not self.booking_fee:
            return []
        return [self._fee_line("booking_fee", self.booking_fee, self.env._("Booking fee"))]

    def _monthly_fee_lines(self, month):
        """The monthly management fee of ``month`` (a date in it)."""
        if not self.monthly_fee:
            return []
        name = self.env._(
            "Monthly management fee, %(month)s",
            month=format_date(self.env, month, date_format="MMMM y"),
        )
        return [self._fee_line("monthly_fee", self.monthly_fee, name)]

    def _late_fee_lines(self, late_minutes):
        """The late return fee, taxes included, per started late period."""
        periods = self._late_periods(late_minutes)
        if not (periods and self.late_fee):
            return []
        name = self.env._(
            "Late return: %(minutes)s min, %(periods)s started periods of %(length)s min",
            minutes=late_minutes,
            periods=periods,
            length=self.late_fee_minutes,
        )
        return [self._fee_line("late_fee", self.late_fee, name, periods, tax_included=True)]

    def _cancellation_fee_lines(self, date_start, date_cancelled):
        """The cancellation fee when the booking starting at ``date_start`` was cancelled at
        ``date_cancelled``, after the free cancellation deadline."""
        deadline = date_start - timedelta(hours=self.cancellation_deadline_hours)
        if not (self.cancellation_fee and date_cancelled and date_cancelled > deadline):
            return []
        hours = f"{self.cancellation_deadline_hours:g}"
        name = self.env._("Cancelled less than %(hours)s hours before the start", hours=hours)
        return [self._fee_line("cancellation_fee", self.cancellation_fee, name)]

    def _no_show_fee_lines(self):
        if not self.no_show_fee:
            return []
        name = self.env._("No-show: the vehicle was not picked up")
        return [self._fee_line("no_show_fee", self.no_show_fee, name)]

    def _insurance_lines(self, date_start, date_end):
        """The buy-back of the excess, per started day of the booking."""
        days = math.ceil((date_end - date_start).total_seconds() / 86400)
        if not (self.insurance_day_price and days > 0):
            return []
        if days == 1:
            name = self.env._("Insurance excess buy-back, 1 started day")
        else:
            name = self.env._("Insurance excess buy-back, %(days)s started days", days=days)
        return [self._fee_line("insurance", self.insurance_day_price, name, days)]

    def _insurance_year_lines(self, date_from):
        """The yearly insurance of the year starting on ``date_from``."""
        if not self.insurance_year_price:
            return []
        name = self.env._("Yearly insurance from %(date)s", date=format_date(self.env, date_from))
        return [
            self._fee_line("insurance", self.insurance_year_price, name) | {"key": "insurance_year"}
        ]

    def _excess_lines(self):
        """The excess due for a responsible damage, taxes excluded."""
        if not self.insurance_excess:
            return []
        name = self.env._("Insurance excess for a responsible damage")
        return [self._fee_line("excess", self.insurance_excess, name, tax_included=False)]
