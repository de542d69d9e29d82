"""The OpenAPI schema documents every courses endpoint, with examples."""

import pytest

PATHS = {
    "/api/courses": {"get", "post"},
    "/api/courses/{course_id}": {"get", "put", "patch", "delete"},
    "/api/courses/{course_id}/videos": {"get", "post"},
    "/api/courses/{course_id}/progress": {"get", "post"},
    "/api/videos/{video_id}": {"get", "put", "patch", "delete"},
    "/api/me/progress": {"get"},
}


def _has_examples(operation):
    bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
    return any(
        media.get("examples") for body in bodies for media in body.get("content", {}).values()
    )


@pytest.mark.django_db
def test_every_endpoint_is_documented_with_examples(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path, methods in PATHS.items():
        assert set(schema["paths"][path]) >= methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation.get("summary"), (path, method)
            assert _has_examples(operation), (path, method)
            if method != "get" or path.endswith("progress"):
                error = next(
                    iter(
                        operation["responses"][str(s)]
                        for s in (401, 400, 404)
                        if str(s) in operation["responses"]
                    )
                )
                example = next(iter(error["content"]["application/json"]["examples"].values()))
                assert {"error", "code", "timestamp"} <= example["value"].keys()
    course = schema["components"]["schemas"]["CourseDetailOutput"]["properties"]
    assert course["videos"]["items"]["$ref"].endswith("/VideoOutput")
    video = schema["components"]["schemas"]["VideoOutput"]["properties"]
    assert {"youtubeId", "orderIndex", "courseId", "transcriptStatus"} <= set(video)
    progress = schema["components"]["schemas"]["ProgressOutput"]["properties"]
    assert {"videoId", "lastPosition", "completedAt"} <= set(progress)
