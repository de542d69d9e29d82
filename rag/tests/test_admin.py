import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk, TranscriptSource
from rag.tests.conftest import VTT

pytestmark = pytest.mark.django_db

ADD = "/admin/rag/transcriptsource/add/"


@pytest.fixture
def staff_client(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def test_instructor_uploads_a_transcript_in_the_admin(
    staff_client, instructor, django_capture_on_commit_callbacks
):
    video = VideoFactory(course=CourseFactory(owner=instructor))
    page = staff_client.get(f"{ADD}?video={video.pk}")
    assert page.status_code == 200
    file = SimpleUploadedFile("lecture.vtt", VTT.encode(), content_type="text/vtt")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD, {"video": str(video.pk), "file": file, "format": ""})
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.transcript_status == "ready"
    assert TranscriptChunk.objects.filter(video=video).exists()
    assert staff_client.get("/admin/rag/transcriptsource/").status_code == 200
    assert staff_client.get("/admin/rag/transcriptchunk/").status_code == 200


@pytest.mark.parametrize(("language", "message"), [("en", "Line 2"), ("he", "שורה 2")])
def test_admin_upload_shows_translated_parse_errors_on_the_form(
    staff_client, instructor, language, message
):
    video = VideoFactory(course=CourseFactory(owner=instructor))
    file = SimpleUploadedFile("bad.srt", b"1\n00:00:09,000 --> 00:00:01,000\nx\n")
    response = staff_client.post(
        ADD, {"video": str(video.pk), "file": file}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TranscriptSource.objects.exists()


def test_instructor_cannot_upload_to_someone_elses_video(staff_client):
    video = VideoFactory()
    file = SimpleUploadedFile("lecture.vtt", VTT.encode())
    response = staff_client.post(ADD, {"video": str(video.pk), "file": file})
    assert response.status_code == 200  # the form refuses the choice
    assert not TranscriptSource.objects.exists()
