"""A real browser (Debian's Chromium via Playwright) drives the admin against the real server."""

from typing import Any

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from accounts.tests.factories import InstructorFactory
from testing.browser import launch_chromium
from testing.servers import uvicorn_server

PASSWORD = "browser-test-password-1"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_instructor_creates_a_course_with_two_videos_in_the_admin():
    from playwright.sync_api import expect, sync_playwright

    instructor: Any = InstructorFactory(email="browser-instructor@example.test")
    # The server runs with the normal hashers, not the tests' fast MD5 one.
    instructor.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    instructor.save(update_fields=["password"])

    with uvicorn_server() as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_context(locale="en-US").new_page()
            page.goto(f"{base_url}/admin/login/?next=/admin/courses/course/add/")
            page.fill("#id_username", instructor.email)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            expect(page).to_have_url(f"{base_url}/admin/courses/course/add/")

            page.locator("#id_title").press_sequentially("Browser-made course")  # keyup events
            expect(page.locator("#id_slug")).to_have_value("browser-made-course")  # admin JS
            page.fill("#id_description", "Made by Chromium.")
            page.select_option("#id_difficulty", "intermediate")
            page.select_option("#id_language", "en")
            page.check("#id_is_published")
            page.fill("input[name=videos-0-position]", "0")
            page.fill("input[name=videos-0-youtube_id]", "brwsrVid001")
            page.fill("input[name=videos-0-title]", "First browser video")
            page.fill("input[name=videos-0-duration]", "120")
            page.get_by_text("Add another Video").click()  # the inline's own JavaScript
            page.fill("input[name=videos-1-position]", "1")
            page.fill("input[name=videos-1-youtube_id]", "brwsrVid002")
            page.fill("input[name=videos-1-title]", "Second browser video")
            page.fill("input[name=videos-1-duration]", "180")
            page.click("input[name=_save]")
            expect(page).to_have_url(f"{base_url}/admin/courses/course/")
            expect(page.locator("#result_list")).to_contain_text("Browser-made course")
        finally:
            browser.close()

        sign_in = httpx.post(
            f"{base_url}/api/auth/token",
            json={"email": instructor.email, "password": PASSWORD},
            timeout=10,
        )
        assert sign_in.status_code == 200, sign_in.text
        api = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {sign_in.json()['token']}"},
            timeout=10,
        )
        listing = api.get("/api/courses", params={"search": "browser-made"}).json()
        assert [c["title"] for c in listing["results"]] == ["Browser-made course"]
        course = listing["results"][0]
        assert (course["ownerId"], course["videoCount"], course["totalDuration"]) == (
            str(instructor.id),
            2,
            300,
        )
        detail = httpx.get(f"{base_url}/api/courses/{course['id']}", timeout=10).json()
        assert detail["isPublished"] is True  # anonymous can read it: it is published
        assert [(v["youtubeId"], v["orderIndex"]) for v in detail["videos"]] == [
            ("brwsrVid001", 0),
            ("brwsrVid002", 1),
        ]
