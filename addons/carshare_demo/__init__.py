from . import cli
