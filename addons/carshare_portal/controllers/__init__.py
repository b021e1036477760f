from . import bookings, common, reports, search, signup
