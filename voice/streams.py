"""The speech stream: POST /api/voice/tts answers audio as the synthesizer produces it."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.authentication import arequest_user
from learnwithavi.casing import underscoreize
from learnwithavi.errors import ApplicationError, NotAuthenticated, ValidationFailed
from learnwithavi.ratelimit import acheck_request
from voice.apis import TtsApi
from voice.services import language_resolve, speech_synthesize


def _payload(request: HttpRequest) -> dict[str, Any]:
    if not request.content_type or request.content_type != "application/json":
        raise ApplicationError(
            _("Send the request as JSON."), code="unsupported_media_type", status_code=415
        )
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[...
        raise ApplicationError(
            _("The request body is not valid JSON."), code="malformed_json"
        ) from exc
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The request body must be a JSON object."))
    named: dict[str, Any] = underscoreize(payload)  # the serializer's names, as DRF's parsers give
    return named


def _validated(payload: dict[str, Any]) -> tuple[str, str | None, str | None]:
    serializer = TtsApi.TtsInputSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    text: str = serializer.validated_data["text"]
    limit = settings.VOICE_TTS_MAX_CHARS
    if len(text) > limit:
        raise ValidationFailed(
            _("The text is too long (at most %(limit)d characters).") % {"limit": limit},
            code="text_too_long",
        )
    language = serializer.validated_data.get("language") or None
    voice = serializer.validated_data.get("voice") or None
    return text, language, voice


# csrf_exempt: arequest_user checks CSRF for session users; bearer clients have no cookie.
@csrf_exempt
@require_POST
async def tts_stream(request: HttpRequest) -> StreamingHttpResponse:
    user = await arequest_user(request)
    if settings.VOICE_REQUIRE_AUTH and not user.is_authenticated:
        raise NotAuthenticated()
    await acheck_request(request, "tts", user)
    text, language, voice = _validated(_payload(request))
    language = language_resolve(text=text, language=language)
    speech = await speech_synthesize(text=text, language=language, voice=voice, user=user)
    response = StreamingHttpResponse(speech.chunks, content_type=speech.content_type)
    response["Content-Language"] = speech.language
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    response["X-TTS-Provider"] = speech.provider
    response["X-TTS-Cache"] = "hit" if speech.cached else "miss"
    return response
