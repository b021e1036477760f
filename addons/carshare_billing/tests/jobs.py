from freezegun import freeze_time

from odoo.tests import common as odoo_test_common

from .common import CarshareBillingCase

# queue_job's test helpers register their patcher in SETATTR_SOURCES, which Odoo's test
# framework has only since a later 18.0 commit than the one pinned in scripts/lib.sh.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import JobCounter, JobMixin, trap_jobs

CHANNEL = "root.carshare.billing"

__all__ = ["CHANNEL", "BillingJobsCase", "trap_jobs"]


class BillingJobsCase(JobMixin, CarshareBillingCase):
    """Jobs stored in the queue (not run at once), as queue_job's own tests have them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))

    def job_counter(self):
        # The drivers' and agents' jobs are stored for them; only job managers read the queue.
        return JobCounter(self.env(su=True))

    def _return(self, booking, km=0.0):
        with freeze_time(booking.date_start):
            booking.action_start()
        with freeze_time(booking.date_end):
            booking.action_return(odometer=booking.odometer_start + km)
