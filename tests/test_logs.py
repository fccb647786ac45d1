import json
import logging

from cityloop.logs import JsonFormatter, configure_logging
from cityloop.settings import Settings


def test_json_lines_carry_the_ticket_number():
    record = logging.LogRecord(
        "cityloop.orders", logging.INFO, __file__, 1, "accept by %s", ("x",), None
    )
    record.ticket_no = "20261124-000001"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "accept by x" and line["ticket_no"] == "20261124-000001"
    assert line["level"] == "INFO" and line["at"].endswith("+00:00")


def test_configure_logging_switches_to_json():
    configure_logging(Settings(log_json=True, _env_file=None))  # type: ignore[call-arg]
    handler = logging.getLogger("cityloop").handlers[0]
    assert isinstance(handler.formatter, JsonFormatter)
