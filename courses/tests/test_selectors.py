import uuid

import pytest

from courses.selectors import (
    course_visible_to,
    video_visible_to,
    videos_visible_to,
)
from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.errors import NotFound


@pytest.fixture
def hidden_video(instructor):
    return VideoFactory(course=CourseFactory(owner=instructor, is_published=False))


@pytest.fixture
def public_video(other_instructor):
    return VideoFactory(course=CourseFactory(owner=other_instructor, is_published=True))


@pytest.mark.django_db
def test_unpublished_video_is_visible_only_to_owner_and_admin(
    hidden_video, public_video, instructor, other_instructor, student, admin_user
):
    from django.contrib.auth.models import AnonymousUser

    assert video_visible_to(user=instructor, video_id=hidden_video.id) == hidden_video
    assert video_visible_to(user=admin_user, video_id=str(hidden_video.id)) == hidden_video
    for user in (other_instructor, student, AnonymousUser(), None):
        with pytest.raises(NotFound):
            video_visible_to(user=user, video_id=hidden_video.id)
        with pytest.raises(NotFound):
            course_visible_to(user=user, course_id=hidden_video.course_id)
        assert video_visible_to(user=user, video_id=public_video.id) == public_video
        assert set(videos_visible_to(user=user)) == {public_video}
    assert set(videos_visible_to(user=instructor)) == {public_video, hidden_video}


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", uuid.uuid4()])
def test_unknown_or_malformed_ids_are_not_found(bad_id, student):
    with pytest.raises(NotFound):
        video_visible_to(user=student, video_id=bad_id)
    with pytest.raises(NotFound):
        course_visible_to(user=student, course_id=bad_id)
