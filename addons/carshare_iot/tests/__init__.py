from . import test_broker_files, test_inbound, test_matching, test_outbox, test_protocol
