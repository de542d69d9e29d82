"""The demo page in headless Chromium: ask the demo course, watch the answer, click a source."""

import re
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import Client

from courses.demo import seed_demo_course
from rag.demo import ingest_demo_transcripts
from testing.browser import launch_chromium
from testing.servers import uvicorn_server

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_course():
    course = seed_demo_course()
    assert ingest_demo_transcripts() == 3
    return course


@contextmanager
def chromium():
    """Playwright's sync API runs an event loop here: no ORM calls inside this block."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def ask_and_check_citation(page, base_url, youtube_id, question):
    # No internet here: YouTube's scripts never load, and the page must still work.
    page.route(re.compile(r"^https://(www\.)?youtube\.com/.*"), lambda route: route.abort())
    page.goto(f"{base_url}/")
    video_id = page.eval_on_selector(
        f'#video option[data-youtube-id="{youtube_id}"]', "option => option.value"
    )
    page.select_option("#video", video_id)
    page.fill("#question", question)
    page.click("#send")
    page.wait_for_selector("#status[data-provider]", timeout=30_000)
    assert page.get_attribute("#status", "data-provider") == "local"
    answer = page.inner_text("#answer")
    citation = page.locator("#answer button.cite").first
    seconds = citation.get_attribute("data-seconds")
    citation.click()
    page.wait_for_selector(f'#seek-status[data-seconds="{seconds}"]')
    assert page.inner_text("#status") == "Answered by: local"
    minutes, rest = divmod(int(seconds), 60)
    assert page.inner_text("#seek-status") == f"Playing from {minutes}:{rest:02d}"
    src = page.get_attribute("#video-frame", "src")
    assert f"/embed/{youtube_id}?" in src
    assert f"start={seconds}" in src
    assert page.locator("#sources li").count() >= 1
    return answer


def test_ask_the_demo_video_and_jump_to_a_cited_second(demo_course):
    with uvicorn_server({"CHAT_LOCAL_WORD_DELAY": "0.005"}) as base_url, chromium() as browser:
        page = browser.new_page()
        answer = ask_and_check_citation(page, base_url, "lwaDemoEn01", "What is overfitting?")
        assert "overfit" in answer.lower()
        assert re.search(r"\[\d+\]", answer)


def test_a_signed_in_learner_posts_with_the_csrf_token(demo_course, student):
    client = Client()
    client.force_login(student)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with uvicorn_server({"CHAT_LOCAL_WORD_DELAY": "0"}) as base_url, chromium() as browser:
        context = browser.new_context()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
        )
        page = context.new_page()
        answer = ask_and_check_citation(page, base_url, "lwaDemoHe02", "מה זה קצב למידה?")
        assert re.search(r"[\u0590-\u05FF]", answer)
    assert student.conversations.count() == 1


def test_no_page_breaks_its_content_security_policy(demo_course, admin_user):
    client = Client()
    client.force_login(admin_user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with uvicorn_server({"SERVE_STATIC": "true"}) as base_url, chromium() as browser:
        context = browser.new_context()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
        )
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.route(re.compile(r"^https://(www\.)?youtube\.com/.*"), lambda route: route.abort())
        page.goto(f"{base_url}/")
        page.wait_for_selector("#video")
        page.goto(f"{base_url}/api/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=30_000)  # the UI rendered
        for path in ("/admin/", "/admin/courses/course/add/", "/admin/learnwithavi/aiusage/"):
            page.goto(f"{base_url}{path}")
            page.wait_for_load_state("load")
        assert violations == []
