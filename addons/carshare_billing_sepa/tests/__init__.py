from . import test_screens, test_sepa
