"""Concurrent writers: first progress records race into one row; reorders stay dense."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from courses.models import UserProgress
from courses.tests.factories import CourseFactory, VideoFactory


def _in_parallel(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_progress_makes_one_row(student, instructor):
    course = CourseFactory(owner=instructor)
    video = VideoFactory(course=course, duration=100)
    url = f"/api/courses/{course.id}/progress"
    calls = [
        lambda position=position: _client(student).post(
            url, {"videoId": str(video.id), "lastPosition": position}, format="json"
        )
        for position in (10, 20, 30, 40)
    ]
    responses = _in_parallel(calls)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 201], [r.content for r in responses]  # one creates it
    assert UserProgress.objects.filter(user=student, video=video).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_moves_keep_positions_dense(instructor):
    course = CourseFactory(owner=instructor)
    videos = [VideoFactory(course=course) for _ in range(6)]
    calls = [
        lambda video=video, to=to: _client(instructor).patch(
            f"/api/videos/{video.id}", {"orderIndex": to}, format="json"
        )
        for video, to in zip(videos, (5, 0, 3, 1, 4, 2), strict=True)
    ]
    responses = _in_parallel(calls)
    assert all(r.status_code == 200 for r in responses), [r.content for r in responses]
    order = list(course.videos.order_by("order_index").values_list("order_index", flat=True))
    assert order == [0, 1, 2, 3, 4, 5]
