"""An upload handler that streams files to disk and stops at a size limit."""

from typing import Any

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from learnwithavi.errors import PayloadTooLarge

# Room for the multipart boundaries and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


def upload_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The audio file is too large (at most %(megabytes)d MB).")
        % {"megabytes": limit // (1024 * 1024)},
        code="audio_too_large",
    )


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Every file goes to a temporary file; past `limit` bytes in all, the upload is refused.

    The declared Content-Length is checked before the first byte is parsed, and the bytes are
    counted as they arrive, so a chunked body without a length is stopped at the limit too.
    """

    def __init__(self, request: HttpRequest, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803  Django's parameter name
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > self.limit + MULTIPART_OVERHEAD:
            raise upload_too_large(self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # a temporary file: closing it deletes it
            raise upload_too_large(self.limit)
        return super().receive_data_chunk(raw_data, start)
