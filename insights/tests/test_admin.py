"""The admin's Insights page: the instructor's own courses, a chart drawn on the server."""

import re

import pytest
from django.test import Client

from courses.tests.factories import CourseFactory
from insights.tests.conftest import ask

pytestmark = pytest.mark.django_db


def page(course):
    return f"/admin/insights/courseinsights/{course.pk}/change/"


@pytest.fixture
def staff(instructor):
    instructor.is_staff = True
    instructor.save()
    client = Client(headers={"accept-language": "he"})
    client.force_login(instructor)
    return client


def test_the_instructor_sees_charts_hotspot_links_and_lists_in_hebrew(
    staff, course, video, second_video
):
    for i in range(4):
        ask(video, 100 + i, f"למה dropout עוזר? {i}")
    ask(video, 400, "What is the capital of Australia?", answered=False)
    response = staff.get(page(course))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="he" dir="rtl">' in html
    assert html.count('<svg class="insights-timeline"') == 2  # one chart per video
    assert "direction:ltr" in html  # time runs left to right inside the RTL page
    assert "מועיל: 0" in html
    # The hotspot's bars and its list entry open the video at that second.
    assert 'href="https://www.youtube.com/watch?v=lwaInsight1&amp;t=90s"' in html
    assert re.search(r'class="hotspot" href="[^"]*t=90s"', html)
    assert "למה dropout עוזר? 3" in html
    assert "What is the capital of Australia?" in html
    assert "שאלות שהמורה לא ידע לענות עליהן" in html  # translated


def test_the_list_shows_only_the_instructors_own_courses(staff, course, other_instructor):
    CourseFactory(owner=other_instructor, title="Someone else's course")
    response = staff.get("/admin/insights/courseinsights/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deep learning" in html
    assert "Someone else" not in html


def test_another_instructors_course_and_students_are_refused(staff, other_instructor, student):
    theirs = CourseFactory(owner=other_instructor)
    assert staff.get(page(theirs)).status_code in (302, 403, 404)
    client = Client()
    client.force_login(student)
    assert client.get("/admin/insights/courseinsights/").status_code == 302  # to the login


def test_a_bad_period_shows_a_message_and_the_default_period(staff, course, video):
    response = staff.get(page(course), {"from": "not-a-date"})
    assert response.status_code == 200
    assert "insights-timeline" in response.content.decode()


def test_the_page_costs_a_fixed_number_of_queries(
    staff, course, video, second_video, django_assert_max_num_queries
):
    for i in range(30):
        ask(video if i % 2 else second_video, i * 9, f"q{i}")
    with django_assert_max_num_queries(16):
        assert staff.get(page(course)).status_code == 200


def test_the_course_form_links_to_its_insights(staff, course):
    response = staff.get(f"/admin/courses/course/{course.pk}/change/")
    assert response.status_code == 200
    assert f'href="/admin/insights/courseinsights/{course.pk}/change/"' in response.content.decode()
