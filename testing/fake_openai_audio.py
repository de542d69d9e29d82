"""A fake OpenAI audio API on 127.0.0.1: `POST /v1/audio/transcriptions` (verbose_json).

Point the real `openai` SDK at `fake.base_url + "/v1"`. Each request's multipart fields and file
are parsed into `fake.uploads`; the reply is the transcript set in `fake.transcript`, with word
timestamps when `timestamp_granularities[]=word` was asked for, and a segment per sentence for
`segment`, as OpenAI answers. `fail_after` makes every request past that many fail (500).
"""

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from testing.fake_http import FakeUpstream, RecordedRequest, Reply

API_KEY = "sk-test-openai-audio"
LANGUAGE_NAMES = {"he": "hebrew", "en": "english"}


@dataclass
class Upload:
    fields: dict[str, list[str]]
    filename: str | None
    file: bytes


@dataclass
class FakeTranscript:
    words: list[tuple[str, float, float]] = field(
        default_factory=lambda: [("שלום", 0.0, 0.42), ("לכולם", 0.5, 1.1)]
    )
    duration: float = 1.5

    @property
    def text(self) -> str:
        return " ".join(word for word, _, _ in self.words)


def header(request: RecordedRequest, name: str) -> str | None:
    """A request header, whatever the case the client wrote its name in."""
    wanted = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == wanted), None)


def parse_multipart(request: RecordedRequest) -> Upload:
    content_type = header(request, "Content-Type")
    message = BytesParser(policy=policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    fields: dict[str, list[str]] = {}
    filename, file = None, b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            payload = part.get_payload(decode=True)
            filename, file = part.get_filename(), payload if isinstance(payload, bytes) else b""
        else:
            fields.setdefault(str(name), []).append(part.get_content().strip())
    return Upload(fields=fields, filename=filename, file=file)


class FakeOpenAIAudio(FakeUpstream):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.transcript = FakeTranscript()
        self.uploads: list[Upload] = []
        # From this many transcriptions on, every request fails with a 500 (None: never).
        self.fail_after: int | None = None

    @property
    def transcription_count(self) -> int:
        """How many transcription requests were answered (a split recording makes several)."""
        return len(self.uploads)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or not request.path.startswith("/v1/audio/transcriptions"):
            return self.error(404, "Not found", "invalid_request_error")
        if header(request, "Authorization") != f"Bearer {self.api_key}":
            return self.error(401, "Incorrect API key provided.", "invalid_api_key")
        if self.fail_after is not None and len(self.uploads) >= self.fail_after:
            return self.server_error()
        upload = parse_multipart(request)
        self.uploads.append(upload)
        language = upload.fields.get("language", ["en"])[0]
        payload: dict[str, Any] = {
            "task": "transcribe",
            "language": LANGUAGE_NAMES.get(language, language),
            "duration": self.transcript.duration,
            "text": self.transcript.text,
            "segments": [
                {
                    "id": 0,
                    "seek": 0,
                    "start": 0.0,
                    "end": self.transcript.duration,
                    "text": self.transcript.text,
                    "tokens": [1, 2, 3],
                    "temperature": 0.0,
                    "avg_logprob": -0.2,
                    "compression_ratio": 1.0,
                    "no_speech_prob": 0.01,
                }
            ],
        }
        granularities = upload.fields.get("timestamp_granularities[]", [])
        if "segment" in granularities:
            payload["segments"] = self._segments()
        if "word" in granularities:
            payload["words"] = [
                {"word": word, "start": start, "end": end}
                for word, start, end in self.transcript.words
            ]
        return Reply.json(payload)

    def _segments(self) -> list[dict[str, Any]]:
        """A segment per sentence (a word ending in . ? or !), as Whisper cuts them."""
        segments: list[dict[str, Any]] = []
        sentence: list[tuple[str, float, float]] = []
        for word in self.transcript.words:
            sentence.append(word)
            if word[0].endswith((".", "?", "!")) or word is self.transcript.words[-1]:
                segments.append(
                    {
                        "id": len(segments),
                        "seek": 0,
                        "start": sentence[0][1],
                        "end": sentence[-1][2],
                        "text": " " + " ".join(w for w, _, _ in sentence),
                        "tokens": [1, 2, 3],
                        "temperature": 0.0,
                        "avg_logprob": -0.2,
                        "compression_ratio": 1.0,
                        "no_speech_prob": 0.01,
                    }
                )
                sentence = []
        return segments

    @staticmethod
    def error(status: int, message: str, code: str, headers: dict[str, str] | None = None):
        body = {"error": {"message": message, "type": code, "param": None, "code": code}}
        return Reply.json(body, status=status, headers=headers)

    @classmethod
    def rate_limited(cls) -> Reply:
        return cls.error(429, "Rate limit reached", "rate_limit_exceeded", {"Retry-After": "0"})

    @classmethod
    def server_error(cls) -> Reply:
        return cls.error(500, "The server had an error", "server_error")
