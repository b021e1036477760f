import argparse
import logging
import signal
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.cli import Command
from odoo.modules.module import load_manifest
from odoo.modules.registry import Registry
from odoo.tools import config

_logger = logging.getLogger(__name__)


def quarter_start(day):
    """The first day of the quarter before the one of ``day``."""
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1) - relativedelta(months=3)


@contextmanager
def paused_crons(env):
    """Keep the carsharing crons of a running server off the history while it is played: at
    today's time they would take its bookings of tomorrow for no-shows."""
    data = env["ir.model.data"].search(
        [("model", "=", "ir.cron"), ("module", "=like", "carshare\\_%")]
    )
    crons = env["ir.cron"].browse(data.mapped("res_id")).filtered("active")
    crons.active = False
    env.cr.commit()
    try:
        yield
    finally:
        env.cr.rollback()
        crons.active = True
        env.cr.commit()


class CarshareDemoHistory(Command):
    """Fill a demo database with months of AutoFree 61 activity (bookings, invoices, payments)"""

    name = "carshare-demo-history"

    def run(self, args):
        parser = argparse.ArgumentParser(
            prog=f"{Path(sys.argv[0]).name} {self.name}",
            description="From the first day of the previous quarter to --until (default today, "
            "excluded), each day's bookings, returns and billing, as the product's crons and "
            "actions make them. The same seed gives the same history.",
        )
        parser.add_argument("--until", type=date.fromisoformat, default=date.today())
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
        parser.add_argument("--seed", type=int, default=61)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="multiplies the number of bookings (1: about 510 residents' bookings a month)",
        )
        options, odoo_args = parser.parse_known_args(args)
        config.parse_config(odoo_args, setup_logging=True)
        dbname = config["db_name"]
        if not dbname or "," in dbname:
            sys.exit(f"{self.name}: give one database with -d")
        date_from = options.date_from or quarter_start(options.until)
        # Stopped with scripts/run: turn the crons back on (``paused_crons``) before leaving.
        signal.signal(signal.SIGTERM, lambda *_args: sys.exit(f"{self.name}: stopped"))
        odoo.service.server.load_server_wide_modules()
        registry = Registry(dbname)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # The command needs only what carshare_demo depends on: a demo need not install it.
            needed = set(load_manifest("carshare_demo")["depends"])
            installed = env["ir.module.module"].search(
                [("name", "in", list(needed)), ("state", "=", "installed")]
            )
            if missing := needed - set(installed.mapped("name")):
                sys.exit(f"{self.name}: install {', '.join(sorted(missing))} in {dbname} first")
            if env["carshare.booking"].search_count([("name", "!=", "/")]) > 20:
                sys.exit(f"{self.name}: {dbname} already has a history")
            # Imported here, not when Odoo lists its commands: the history loads the billing,
            # whose Factur-X library configures the root logger at import, before Odoo's logging
            # (every odoo command, the MQTT bridge included, would log each line twice).
            from ..history import DemoHistory  # pylint: disable=import-outside-toplevel

            with paused_crons(env):
                history = DemoHistory(
                    env, date_from, options.until, options.seed, cr.commit, options.scale
                )
                stats = history.run()
        _logger.info("history of %s from %s to %s: %s", dbname, date_from, options.until, stats)
