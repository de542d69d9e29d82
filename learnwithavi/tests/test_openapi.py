"""The OpenAPI document says what the server does: statuses, who may call, types."""

import re

import jsonschema_rs
import pytest

pytestmark = pytest.mark.django_db

PUBLIC_READS = [
    ("get", "/api/courses"),
    ("get", "/api/courses/{course_id}"),
    ("get", "/api/courses/{course_id}/videos"),
    ("get", "/api/videos/{video_id}"),
    ("get", "/api/videos/{video_id}/transcript"),
    ("get", "/api/search"),
]
SIGNED_IN_ONLY = [
    ("delete", "/api/auth/token"),
    ("get", "/api/me"),
    ("get", "/api/conversations"),
    ("get", "/api/usage"),
    ("post", "/api/courses"),
    ("post", "/api/videos/{video_id}/transcript"),
    ("post", "/api/voice/tts"),
]


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_who_may_call_is_declared_exactly(schema):
    paths = schema["paths"]
    for method, path in [*PUBLIC_READS, ("post", "/api/auth/token"), ("post", "/api/chat")]:
        assert {} in paths[path][method]["security"], (method, path)
    for method, path in SIGNED_IN_ONLY:
        security = paths[path][method]["security"]
        assert {} not in security, (method, path)
        assert {"bearerAuth": []} in security, (method, path)


def test_every_error_status_is_documented_in_the_one_shape_with_an_example(schema):
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        # Health and Clerk's webhook (signed, not rate-limited: Clerk retries) read no token.
        if path not in ("/api/health", "/api/webhooks/clerk"):
            assert "401" in responses, (method, path)  # a bad token is 401 everywhere
            assert "429" in responses, (method, path)
            assert "Retry-After" in responses["429"]["headers"], (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= responses.keys(), (method, path)
        for status, response in responses.items():
            if int(status) < 400 or path == "/api/health":
                continue
            body = response["content"]["application/json"]
            assert body["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)
            for example in body["examples"].values():
                assert {"error", "code", "timestamp"} <= example["value"].keys()
    names = set(schema["components"]["schemas"])
    assert not names & {"CoursesApiError", "VoiceError", "ChatError"}  # one Error, not a copy each


def test_particular_statuses(schema):
    paths = schema["paths"]
    assert "403" in paths["/api/usage"]["get"]["responses"]
    assert "415" in paths["/api/voice/tts"]["post"]["responses"]
    assert "409" in paths["/api/courses/{course_id}/videos"]["post"]["responses"]
    upload = paths["/api/videos/{video_id}/transcript"]["post"]["responses"]
    assert {"400", "401", "403", "404"} <= upload.keys()
    assert "404" in paths["/api/conversations"]["get"]["responses"]  # a page past the last


def test_types_nullable_formats_and_the_hebrew_slug(schema):
    components = schema["components"]["schemas"]
    assert components["UserOutput"]["properties"]["clerkId"]["nullable"] is True
    slug = components["Slug"]
    validator = jsonschema_rs.validator_for(slug)
    assert validator.is_valid("מבוא-ללמידת-מכונה")
    assert validator.is_valid("intro_2")
    assert not validator.is_valid("two words")
    assert not validator.is_valid("a/b")
    assert re.fullmatch(slug["pattern"][:-1] + r"\Z", "שלום")  # Python reads the pattern too
    usage = {p["name"]: p for p in schema["paths"]["/api/usage"]["get"]["parameters"]}
    assert usage["from"]["schema"] == {"type": "string", "format": "date"}
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] != "message_id":
                assert parameter["schema"]["format"] == "uuid", (method, path)
            elif parameter["in"] == "path":  # messages have integer ids
                assert parameter["schema"]["type"] == "integer", (method, path)


def test_the_chat_stream_events_are_components(schema):
    chat = schema["paths"]["/api/chat"]["post"]
    event = chat["responses"]["200"]["content"]["text/event-stream"]["schema"]
    data = event["properties"]["data"]
    assert data["contentSchema"] == {"$ref": "#/components/schemas/ChatEvent"}
    mapping = schema["components"]["schemas"]["ChatEvent"]["discriminator"]["mapping"]
    assert set(mapping) == {"content", "done", "error"}


@pytest.mark.parametrize("page_size", ["0", "101", "abc", "9" * 5000])
def test_a_page_size_outside_the_documented_range_is_a_400(student_client, page_size):
    response = student_client.get("/api/conversations", {"pageSize": page_size})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert student_client.get("/api/conversations", {"pageSize": "100"}).status_code == 200
