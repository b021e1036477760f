import argparse
import signal
import sys
from pathlib import Path

from odoo.cli import Command
from odoo.tools import config

from .bridge import Bridge, Settings
from .devices import CarshareDevices

__all__ = ["CarshareDevices", "CarshareMqtt"]


class CarshareMqtt(Command):
    """Run the carsharing MQTT bridge (devices <-> Odoo) on one database"""

    name = "carshare-mqtt"

    def run(self, args):
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument(
            "--client-id",
            help="MQTT client id, unique per bridge and stable across restarts "
            "(default: carshare-bridge-<hostname>)",
        )
        options, odoo_args = parser.parse_known_args(args)
        config.parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        config.parse_config(odoo_args, setup_logging=True)
        dbname = config["db_name"]
        if not dbname or "," in dbname:
            sys.exit("carshare-mqtt: give one database with -d")

        bridge = Bridge(dbname, Settings(options.client_id))
        signal.signal(signal.SIGTERM, bridge.stop)
        signal.signal(signal.SIGINT, bridge.stop)
        bridge.run()
