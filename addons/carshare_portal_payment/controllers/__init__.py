from . import bookings, deposits
