"""Log plumbing: each record carries the request id, and each line passes the sanitizer."""

import logging

from learnwithavi.request_context import request_id_var
from learnwithavi.sanitizer import sanitize, sanitize_request_id

# Stands in for the request id while the line is sanitized, so that an id of 32 hex digits
# (nginx's $request_id) is not redacted as if it were a key; no pattern matches it.
_REQUEST_ID_SLOT = "\x00request-id\x00"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class SanitizingFormatter(logging.Formatter):
    """Formats as usual, then redacts: covers the message, its arguments and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = str(getattr(record, "request_id", None) or request_id_var.get())
        record.request_id = _REQUEST_ID_SLOT
        try:
            line = sanitize(super().format(record))
        finally:
            record.request_id = request_id
        return line.replace(_REQUEST_ID_SLOT, sanitize_request_id(request_id))
