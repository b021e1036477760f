from . import bookings
