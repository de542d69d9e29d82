"""The frontend in a real browser: a page on another origin calls the real server with fetch.

Headless Chromium loads a page served from a second origin on 127.0.0.1; it lists courses,
streams a chat answer with a Clerk token (reading the events as they arrive), and opens the
admin through POST /api/auth/session. The same page from an origin that is not allowed is
blocked by the browser itself. The server is uvicorn with CORS_ALLOWED_ORIGINS as its only
trust setting: Clerk's authorized parties default to it.
"""

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from courses.tests.factories import CourseFactory, InstructorFactory, VideoFactory
from testing.browser import launch_chromium
from testing.fake_clerk import ISSUER, ClerkInstance, new_clerk_id
from testing.servers import uvicorn_server

VTT = """WEBVTT

00:00.000 --> 00:20.000
Welcome to the lecture about overfitting and regularization.

00:20.000 --> 00:45.000
Overfitting happens when a model memorizes the noise in the training data instead of the pattern.

00:45.000 --> 01:10.000
Regularization adds a penalty on large weights, which keeps the model simple.
"""

PAGE = "<!doctype html><html><head><title>frontend</title></head><body>frontend</body></html>"

LIST_COURSES = """async (api) => {
  try {
    const response = await fetch(api + "/api/courses");
    const body = await response.json();
    return {status: response.status, count: body.count,
            requestId: response.headers.get("X-Request-ID")};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""

STREAM_CHAT = """async ([api, token, videoId]) => {
  try {
    const response = await fetch(api + "/api/chat", {
      method: "POST",
      headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
      body: JSON.stringify({message: "What is overfitting?", videoId}),
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const eventsSeen = [];
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      text += decoder.decode(value, {stream: true});
      eventsSeen.push(text.split("\\n\\n").filter((f) => f.startsWith("data: ")).length);
    }
    return {status: response.status, text, eventsSeen,
            remaining: response.headers.get("X-RateLimit-Remaining"),
            contentType: response.headers.get("Content-Type")};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""

START_SESSION = """async ([api, token]) => {
  const response = await fetch(api + "/api/auth/session", {
    method: "POST", credentials: "include", headers: {"Authorization": "Bearer " + token},
  });
  return {status: response.status, body: await response.json()};
}"""


@contextmanager
def static_page(directory: Path) -> Iterator[str]:
    """A page served by Python's http.server on its own port: another origin."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # quiet
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _events(text: str) -> list[dict[str, Any]]:
    import json

    return [
        json.loads(frame[len("data: ") :])
        for frame in text.split("\n\n")
        if frame.startswith("data: ")
    ]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_frontend_on_another_origin_uses_the_api_and_others_are_blocked(tmp_path):
    from playwright.sync_api import sync_playwright

    from rag.services import transcript_upload

    course = CourseFactory(owner=InstructorFactory(), is_published=True, language="en")
    video: Any = VideoFactory(course=course, youtube_id="brwsrCors01", title="Overfitting")
    transcript_upload(video=video, content=VTT, filename="t.vtt", run_inline=True)
    (tmp_path / "index.html").write_text(PAGE)
    clerk = ClerkInstance()

    with static_page(tmp_path) as frontend, static_page(tmp_path) as stranger:
        env = {
            "CORS_ALLOWED_ORIGINS": frontend,
            # as a .env file carries it: the PEM's newlines written as \n
            "CLERK_JWT_KEY": clerk.public_pem.strip().replace("\n", "\\n"),
            "CLERK_ISSUER": ISSUER,
            "ANTHROPIC_API_KEY": "",
            "OPENAI_API_KEY": "",
            "CHAT_LOCAL_WORD_DELAY": "0.02",
        }
        with uvicorn_server(env) as api, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_context().new_page()
                page.goto(f"{frontend}/index.html")
                listing = page.evaluate(LIST_COURSES, api)
                assert (listing["status"], listing["count"]) == (200, 1), listing
                assert listing["requestId"]  # an exposed header

                token = clerk.token(new_clerk_id(), azp=frontend)
                chat = page.evaluate(STREAM_CHAT, [api, token, str(video.pk)])
                assert chat.get("status") == 200, chat
                assert chat["contentType"].startswith("text/event-stream")
                events = _events(chat["text"])
                assert events[-1]["type"] == "done"
                assert events[-1]["conversationId"]  # saved for the Clerk user
                # read as they came: several reads, the events accumulating across them
                assert len(chat["eventsSeen"]) >= 3, chat["eventsSeen"]
                assert chat["eventsSeen"][0] < chat["eventsSeen"][-1]
                assert chat["remaining"] is not None

                instructor = clerk.token(
                    new_clerk_id(), azp=frontend, metadata={"role": "instructor"}
                )
                session = page.evaluate(START_SESSION, [api, instructor])
                assert session["status"] == 200, session
                page.goto(f"{api}/admin/")
                assert page.url == f"{api}/admin/"  # signed in: not sent to the login page

                other = browser.new_context().new_page()
                other.goto(f"{stranger}/index.html")
                assert "blocked" in other.evaluate(LIST_COURSES, api)
                stranger_token = clerk.token(new_clerk_id(), azp=stranger)
                assert "blocked" in other.evaluate(
                    STREAM_CHAT, [api, stranger_token, str(video.pk)]
                )
            finally:
                browser.close()
