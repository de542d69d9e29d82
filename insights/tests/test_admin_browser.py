"""A real browser (Debian's Chromium via Playwright) opens a course's Insights page in Hebrew."""

import io
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from accounts.tests.factories import InstructorFactory
from courses.tests.factories import CourseFactory, VideoFactory
from insights.tests.conftest import ask
from testing.browser import launch_chromium
from testing.servers import uvicorn_server

PASSWORD = "browser-test-password-1"
HOT = (0xD9, 0x48, 0x0F)  # insights.charts: a hotspot's bars
BAR = (0x42, 0x63, 0xEB)  # every other bar


def colour_share(png: bytes, rgb: tuple[int, int, int]) -> float:
    """The share of the image's pixels that are (close to) this colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    close = 0
    for y in range(height):
        for x in range(width):
            r, g, b = image.getpixel((x, y))
            close += abs(r - rgb[0]) <= 12 and abs(g - rgb[1]) <= 12 and abs(b - rgb[2]) <= 12
    return close / (width * height)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_instructor_opens_a_courses_insights_in_hebrew_with_its_chart():
    from playwright.sync_api import expect, sync_playwright

    instructor: Any = InstructorFactory(email="insights-browser@example.test", is_staff=True)
    instructor.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    instructor.save(update_fields=["password"])
    course = CourseFactory(owner=instructor, title="למידה עמוקה")
    video = VideoFactory(course=course, youtube_id="lwaBrowser1", title="התאמת יתר", duration=600)
    for i in range(6):
        ask(video, 95 + i, f"למה dropout עוזר? {i}")
    for second in (15, 250, 260, 480):
        ask(video, second, f"שאלה ב-{second}")
    ask(video, 550, "What is the capital of Australia?", answered=False)

    with uvicorn_server() as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_context(
                locale="he-IL", viewport={"width": 1200, "height": 900}
            ).new_page()
            page.goto(f"{base_url}/admin/login/?next=/admin/insights/courseinsights/")
            page.fill("#id_username", instructor.email)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            expect(page).to_have_url(f"{base_url}/admin/insights/courseinsights/")
            page.get_by_role("link", name="פתיחה").click()  # the course's "Open" link
            expect(page.locator("h1")).to_contain_text("למידה עמוקה")
            assert page.locator("html").get_attribute("dir") == "rtl"
            expect(page.locator("#insights-totals")).to_contain_text("11 שאלות")

            chart = page.locator("svg.insights-timeline")
            expect(chart).to_have_count(1)
            box = chart.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert box["height"] > 60
            # Time runs left to right inside the right-to-left page: 1:30 is left of 8:00.
            bars = chart.locator("rect.bar")
            assert bars.count() == 20
            hot_box, late_box = bars.nth(3).bounding_box(), bars.nth(16).bounding_box()
            assert hot_box is not None
            assert late_box is not None
            assert hot_box["x"] < late_box["x"]
            assert hot_box["height"] > late_box["height"]
            # The screenshot shows the chart: hotspot bars in their colour, the others in theirs.
            png = chart.screenshot()
            assert colour_share(png, HOT) > 0.005
            assert colour_share(png, BAR) > 0.002

            hotspot = page.locator("a.hotspot").first
            expect(hotspot).to_have_attribute(
                "href", "https://www.youtube.com/watch?v=lwaBrowser1&t=90s"
            )
            expect(hotspot).to_have_attribute("target", "_blank")
            expect(page.locator(".insights-hotspots")).to_contain_text("למה dropout עוזר? 5")
            expect(page.locator(".insights-unanswered")).to_contain_text(
                "What is the capital of Australia?"
            )
            expect(page.locator("#content-main")).to_contain_text("שאלות שהמורה לא ידע לענות עליהן")
        finally:
            browser.close()
