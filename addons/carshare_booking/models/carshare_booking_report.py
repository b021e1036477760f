from odoo import fields, models, tools

BOOKED_STATES = ("confirmed", "ongoing", "done")


class CarshareBookingReport(models.Model):
    """Hours booked against hours the station is open, per shared vehicle and month."""

    _name = "carshare.booking.report"
    _description = "Carsharing Occupancy"
    _auto = False
    _order = "month desc, vehicle_id"

    month = fields.Date(readonly=True)
    vehicle_id = fields.Many2one("fleet.vehicle", readonly=True)
    station_id = fields.Many2one("carshare.station", readonly=True)
    category = fields.Selection(
        [("car", "Car"), ("utility", "Utility Vehicle"), ("camper", "Camping-Car")],
        readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True)
    booking_count = fields.Integer(string="Bookings", readonly=True, aggregator="sum")
    booked_hours = fields.Float(readonly=True, aggregator="sum")
    available_hours = fields.Float(
        readonly=True, aggregator="sum", help="Hours of the month the station is open."
    )
    occupancy = fields.Float(
        string="Occupancy (%)",
        readonly=True,
        aggregator="avg",
        help="Booked hours over available hours; averaged over vehicles and months.",
    )
    distance_km = fields.Float(string="Distance (km)", readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            tools.SQL(
                """
                CREATE VIEW %(table)s AS (
                    WITH months AS (
                        SELECT generate_series(
                                   date_trunc('month', min(date_start)),
                                   date_trunc('month', max(date_start)),
                                   interval '1 month') AS month
                          FROM carshare_booking
                         WHERE state IN %(states)s
                    ),
                    usage AS (
                        SELECT b.vehicle_id, m.month,
                               count(*) FILTER (
                                   WHERE date_trunc('month', b.date_start) = m.month
                               ) AS booking_count,
                               sum(EXTRACT(EPOCH FROM upper(part.slot) - lower(part.slot)) / 3600)
                                   AS booked_hours,
                               sum(b.distance_km) FILTER (
                                   WHERE date_trunc('month', b.date_start) = m.month
                               ) AS distance_km
                          FROM carshare_booking b
                          JOIN months m
                            ON b.date_start < m.month + interval '1 month'
                           AND b.date_end > m.month
                         CROSS JOIN LATERAL (
                               SELECT tsrange(b.date_start, b.date_end)
                                      * tsrange(m.month, m.month + interval '1 month') AS slot
                         ) part
                         WHERE b.state IN %(states)s
                         GROUP BY b.vehicle_id, m.month
                    ),
                    open_hours AS (
                        SELECT v.id AS vehicle_id, m.month,
                               EXTRACT(EPOCH FROM interval '1 month' + m.month - m.month) / 3600
                               * (24 - CASE
                                   WHEN s.id IS NULL OR s.closed_from = s.closed_to THEN 0
                                   WHEN s.closed_from < s.closed_to THEN s.closed_to - s.closed_from
                                   ELSE 24 - s.closed_from + s.closed_to
                                 END) / 24 AS hours
                          FROM fleet_vehicle v
                          LEFT JOIN carshare_station s ON s.id = v.carshare_station_id
                         CROSS JOIN months m
                         WHERE v.carshare_shared
                    )
                    SELECT v.id::bigint * 100000
                               + EXTRACT(YEAR FROM o.month)::int * 12
                               + EXTRACT(MONTH FROM o.month)::int AS id,
                           o.month::date AS month,
                           v.id AS vehicle_id,
                           v.carshare_station_id AS station_id,
                           v.carshare_category AS category,
                           v.company_id,
                           COALESCE(u.booking_count, 0) AS booking_count,
                           COALESCE(u.booked_hours, 0) AS booked_hours,
                           o.hours AS available_hours,
                           CASE WHEN o.hours > 0
                                THEN 100 * COALESCE(u.booked_hours, 0) / o.hours
                                ELSE 0 END AS occupancy,
                           COALESCE(u.distance_km, 0) AS distance_km
                      FROM open_hours o
                      JOIN fleet_vehicle v ON v.id = o.vehicle_id
                      LEFT JOIN usage u ON u.vehicle_id = o.vehicle_id AND u.month = o.month
                )
                """,
                table=tools.SQL.identifier(self._table),
                states=BOOKED_STATES,
            )
        )
