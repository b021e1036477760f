from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .carshare_booking import ACTIVE_STATES, RANGE_FIELDS

AVAILABILITY_VEHICLE_FIELDS = [
    "id",
    "name",
    "carshare_station_id",
    "carshare_state",
    "carshare_category",
    "carshare_range_km",
]


class CarshareAvailability(models.AbstractModel):
    """The availability engine: which vehicles are free when, the overlap rule and the buffers,
    for the bookings' rules, the transfers, the portal's search and the GBFS feeds. It reads
    what the bookings hold and writes nothing."""

    _name = "carshare.availability"
    _description = "Carsharing Availability"

    @api.model
    def _blocked_until(self, end, buffer_minutes):
        """Until when a slot ending at ``end`` keeps its vehicle: the buffer after it."""
        return end + timedelta(minutes=buffer_minutes or 0)

    @api.model
    def _slot_taken(self, vehicle, start, end, buffer_minutes, booking=None):
        """Whether an active booking other than ``booking`` blocks ``vehicle`` during
        ``start``-``end`` plus ``buffer_minutes`` (the rule the exclusion constraint enforces)."""
        self.env["carshare.booking"].flush_model(RANGE_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                SELECT 1 FROM carshare_booking
                 WHERE vehicle_id = %s AND id != %s AND state IN %s
                   AND blocked_range && tsrange(%s, %s, '[)')
                 LIMIT 1
                """,
                vehicle.id,
                (booking and booking.id) or 0,
                ACTIVE_STATES,
                start,
                self._blocked_until(end, buffer_minutes),
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _available_vehicles(
        self,
        date_start,
        date_end,
        station=None,
        community=None,
        category=None,
        next_free_within=24,
    ):
        """Which shared vehicles are free from ``date_start`` to ``date_end`` (naive UTC).

        Returns a list of dicts, free vehicles first: ``vehicle_id``, ``name``, ``station_id``,
        ``category``, ``range_km``, ``free``, ``reason`` (why not, translated) and ``next_free``
        (when a booking of the same length could start, as a string; False when unknown or
        not within ``next_free_within`` hours after the requested end).
        The buffer is the community's; without a community none is counted.
        """
        start = fields.Datetime.to_datetime(date_start)
        end = fields.Datetime.to_datetime(date_end)
        vehicles = self._candidate_vehicles(station, community, category)
        vehicle_ids = [vehicle["id"] for vehicle in vehicles]
        blocked_until = self._blocked_until(end, community.buffer_minutes if community else 0)
        search_until = blocked_until + timedelta(hours=next_free_within)
        busy = self._busy_vehicles(vehicle_ids, start, blocked_until, search_until)
        windows = (
            self.env["fleet.vehicle"].browse(vehicle_ids)._carshare_maintenance_overlaps(start, end)
        )
        in_maintenance = set(windows.vehicle_id.ids)
        closed_stations = self._closed_stations(vehicles, start, end)
        rows = [
            self._availability_row(vehicle, start, busy, in_maintenance, closed_stations)
            for vehicle in vehicles
        ]
        return sorted(rows, key=lambda row: not row["free"])

    @api.model
    def _vehicle_domain(self, station, community, category):
        domain = [("carshare_shared", "=", True)]
        if station:
            domain.append(("carshare_station_id", "=", station.id))
        if community:
            domain.append(("carshare_community_ids", "in", community.id))
        if category:
            domain.append(("carshare_category", "=", category))
        return domain

    @api.model
    def _candidate_vehicles(self, station, community, category):
        """The shared vehicles to consider, as dicts read in one query (record rules apply)."""
        vehicles = self.env["fleet.vehicle"]
        vehicles.flush_model(AVAILABILITY_VEHICLE_FIELDS[1:])
        query = vehicles._search(self._vehicle_domain(station, community, category))
        self.env.cr.execute(
            query.select(
                *(SQL.identifier(query.table, name) for name in AVAILABILITY_VEHICLE_FIELDS)
            )
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _closed_stations(self, vehicles, start, end):
        station_ids = {vehicle["carshare_station_id"] for vehicle in vehicles} - {None}
        return {
            station.id
            for station in self.env["carshare.station"].browse(station_ids)
            if station._is_closed_at(start) or station._is_closed_at(end)
        }

    @api.model
    def _availability_row(self, vehicle, start, busy, in_maintenance, closed_stations):
        reason, next_free = "", start
        if vehicle["id"] in in_maintenance or vehicle["carshare_state"] in (
            "maintenance",
            "out_of_service",
        ):
            reason, next_free = self.env._("In maintenance."), False
        elif vehicle["id"] in busy:
            late, next_free = busy[vehicle["id"]]
            if late:
                reason = self.env._("Not back yet from the previous booking.")
            else:
                reason = self.env._("Already booked.")
        elif vehicle["carshare_station_id"] in closed_stations:
            reason = self.env._("The station is closed at the pick-up or return time.")
            next_free = False
        return {
            "vehicle_id": vehicle["id"],
            "name": vehicle["name"],
            "station_id": vehicle["carshare_station_id"] or False,
            "category": vehicle["carshare_category"],
            "range_km": vehicle["carshare_range_km"] or 0,
            "free": not reason,
            "reason": reason,
            "next_free": fields.Datetime.to_string(next_free) if next_free else False,
        }

    @api.model
    def _busy_vehicles(self, vehicle_ids, start, blocked_until, search_until):
        """{vehicle id: (late, next free start)} for the vehicles taken in [start, blocked_until).

        One query on the range index. A booking still out after its end blocks its vehicle until
        now plus its buffer. The next free start is the first end of a booking (buffer included)
        followed by a gap as long as the requested slot, looked for until ``search_until``.
        """
        if not vehicle_ids:
            return {}
        self.env["carshare.booking"].flush_model(RANGE_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                WITH busy AS (
                    SELECT vehicle_id, bool_or(state = 'ongoing' AND date_end < %(now)s) AS late
                      FROM carshare_booking
                     WHERE state IN ('confirmed', 'ongoing')
                       AND vehicle_id = ANY(%(vehicle_ids)s)
                       AND (blocked_range && tsrange(%(start)s, %(blocked_until)s, '[)')
                            OR (state = 'ongoing' AND date_end < %(now)s
                                AND %(now)s + buffer_minutes * interval '1 minute' > %(start)s))
                     GROUP BY vehicle_id
                ),
                taken AS (
                    SELECT b.vehicle_id, lower(b.blocked_range) AS busy_from,
                           CASE WHEN b.state = 'ongoing' AND b.date_end < %(now)s
                                THEN GREATEST(upper(b.blocked_range),
                                              %(now)s + b.buffer_minutes * interval '1 minute')
                                ELSE upper(b.blocked_range) END AS busy_to
                      FROM carshare_booking b
                      JOIN busy USING (vehicle_id)
                     WHERE b.state IN ('confirmed', 'ongoing')
                       AND (b.blocked_range && tsrange(%(start)s, %(search_until)s, '[)')
                            OR (b.state = 'ongoing' AND b.date_end < %(now)s))
                ),
                gaps AS (
                    SELECT vehicle_id,
                           max(busy_to) OVER (PARTITION BY vehicle_id ORDER BY busy_from
                                              ROWS UNBOUNDED PRECEDING) AS free_from,
                           lead(busy_from) OVER (PARTITION BY vehicle_id ORDER BY busy_from)
                               AS next_from
                      FROM taken
                )
                SELECT busy.vehicle_id, busy.late,
                       min(gaps.free_from) FILTER (
                           WHERE gaps.free_from >= %(start)s
                             AND gaps.free_from + %(needed)s
                                 <= COALESCE(gaps.next_from, %(search_until)s))
                  FROM busy
                  JOIN gaps USING (vehicle_id)
                 GROUP BY busy.vehicle_id, busy.late
                """,
                now=fields.Datetime.now(),
                vehicle_ids=list(vehicle_ids),
                start=start,
                blocked_until=blocked_until,
                search_until=search_until,
                needed=blocked_until - start,
            )
        )
        return {vehicle: (late, next_free) for vehicle, late, next_free in self.env.cr.fetchall()}

    @api.model
    def _busy_intervals(self, vehicle_ids, start, end):
        """{vehicle id: [(from, to), ...]}: when each vehicle is taken between ``start`` and
        ``end`` (naive UTC), buffer included, in order.

        Meant for many vehicles (a whole community): the bookings of the period come from the
        range index, then are kept for ``vehicle_ids``. A booking still out after its end blocks
        its vehicle until now plus its buffer, as in ``_busy_vehicles``.
        """
        if not vehicle_ids:
            return {}
        self.env["carshare.booking"].flush_model(RANGE_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                WITH taken AS MATERIALIZED (
                    SELECT vehicle_id, blocked_range, state, date_end, buffer_minutes
                      FROM carshare_booking
                     WHERE state IN ('confirmed', 'ongoing')
                       AND blocked_range && tsrange(%(start)s, %(end)s, '[)')
                    UNION ALL
                    SELECT vehicle_id, blocked_range, state, date_end, buffer_minutes
                      FROM carshare_booking
                     WHERE state = 'ongoing' AND date_end < %(now)s
                       AND NOT blocked_range && tsrange(%(start)s, %(end)s, '[)')
                )
                SELECT vehicle_id, lower(blocked_range),
                       CASE WHEN state = 'ongoing' AND date_end < %(now)s
                            THEN GREATEST(upper(blocked_range),
                                          %(now)s + buffer_minutes * interval '1 minute')
                            ELSE upper(blocked_range) END
                  FROM taken
                 WHERE vehicle_id = ANY(%(vehicle_ids)s)
                """,
                now=fields.Datetime.now(),
                vehicle_ids=list(vehicle_ids),
                start=start,
                end=end,
            )
        )
        intervals = {}
        for vehicle, busy_from, busy_to in self.env.cr.fetchall():
            intervals.setdefault(vehicle, []).append((busy_from, busy_to))
        for periods in intervals.values():
            periods.sort()
        return intervals
