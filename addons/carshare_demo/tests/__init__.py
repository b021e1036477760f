from . import test_history
