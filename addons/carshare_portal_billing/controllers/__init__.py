from . import bookings, search
