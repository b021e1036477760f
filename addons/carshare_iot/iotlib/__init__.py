"""The carsharing MQTT protocol and a device simulator, in pure Python (no Odoo import).

Odoo's bridge, the tests and the command-line simulator share this package; it only uses
relative imports so that it also runs from ``addons/carshare_iot`` put on ``sys.path``.
"""
