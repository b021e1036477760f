from . import (
    test_batch,
    test_broker_files,
    test_demo,
    test_event_properties,
    test_inbound,
    test_matching,
    test_message_log,
    test_outbox,
    test_protocol,
    test_screens,
)
