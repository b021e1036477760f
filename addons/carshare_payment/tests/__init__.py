from . import test_card_demo, test_card_jobs
