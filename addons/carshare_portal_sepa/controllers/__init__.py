from . import mandates
