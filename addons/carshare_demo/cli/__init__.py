from . import demo_history
