from datetime import datetime, time, timedelta

import pytz

from odoo import models


def _hhmm(hour):
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class CarshareStation(models.Model):
    _inherit = "carshare.station"

    def _gbfs_opening_hours(self):
        """The station's opening hours in OpenStreetMap's opening_hours format."""
        self.ensure_one()
        closed_from, closed_to = self.closed_from, self.closed_to
        if closed_from == closed_to:
            return "24/7"
        if closed_from < closed_to:
            ranges = []
            if closed_from > 0:
                ranges.append(f"00:00-{_hhmm(closed_from)}")
            if closed_to < 24:
                ranges.append(f"{_hhmm(closed_to)}-24:00")
            return "Mo-Su " + ",".join(ranges) if ranges else "off"
        return f"Mo-Su {_hhmm(closed_to)}-{_hhmm(closed_from)}"

    def _gbfs_closed_intervals(self, start, end):
        """The daily closings of the station overlapping [start, end), as naive UTC pairs."""
        self.ensure_one()
        if self.closed_from == self.closed_to:
            return []
        tz = pytz.timezone(self.tz or "UTC")
        local_start = pytz.utc.localize(start).astimezone(tz).date() - timedelta(days=1)
        local_end = pytz.utc.localize(end).astimezone(tz).date()
        span = (self.closed_to - self.closed_from) % 24
        intervals = []
        day = local_start
        while day <= local_end:
            closing = datetime.combine(day, time.min) + timedelta(hours=self.closed_from)
            closed_start = tz.localize(closing).astimezone(pytz.utc).replace(tzinfo=None)
            closed_end = (
                tz.localize(closing + timedelta(hours=span))
                .astimezone(pytz.utc)
                .replace(tzinfo=None)
            )
            if closed_end > start and closed_start < end:
                intervals.append((max(closed_start, start), min(closed_end, end)))
            day += timedelta(days=1)
        return intervals
