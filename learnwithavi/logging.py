"""Log plumbing: each record carries the request id, and each line passes the sanitizer."""

import logging

from learnwithavi.request_context import request_id_var
from learnwithavi.sanitizer import sanitize


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class SanitizingFormatter(logging.Formatter):
    """Formats as usual, then redacts: covers the message, its arguments and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return sanitize(super().format(record))
