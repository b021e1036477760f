from . import cli, models, wizards
