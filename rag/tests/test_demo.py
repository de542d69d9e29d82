import pytest

from courses.tests.factories import VideoFactory
from rag.demo import DEMO_DIR, DEMO_TRANSCRIPTS, ingest_demo_transcripts
from rag.models import TranscriptChunk, TranscriptSource
from rag.parsers import parse_vtt

DURATIONS = {"lwaDemoHe01": 540, "lwaDemoHe02": 660, "lwaDemoEn01": 600}


@pytest.mark.parametrize("youtube_id", sorted(DEMO_TRANSCRIPTS))
def test_demo_transcripts_parse_within_their_videos(youtube_id):
    cues = parse_vtt((DEMO_DIR / DEMO_TRANSCRIPTS[youtube_id]).read_text(encoding="utf-8"))
    assert len(cues) > 40
    assert cues[0].start >= 0
    assert cues[-1].end <= DURATIONS[youtube_id]


@pytest.mark.django_db
def test_ingest_demo_transcripts_is_idempotent(demo_videos):
    ids = set(TranscriptChunk.objects.values_list("id", flat=True))
    assert {v.transcript_status for v in demo_videos.values()} == {"ready"}
    assert ingest_demo_transcripts() == 3
    assert set(TranscriptChunk.objects.values_list("id", flat=True)) == ids
    assert TranscriptSource.objects.count() == 3


@pytest.mark.django_db
def test_ingest_demo_transcripts_skips_missing_videos():
    VideoFactory(youtube_id="lwaDemoEn01", duration=600)
    assert ingest_demo_transcripts() == 1


@pytest.mark.django_db
def test_seed_demo_makes_the_demo_course_searchable():
    from io import StringIO

    from django.core.management import call_command

    from rag.selectors import hybrid_search

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo transcripts: 3 videos ingested" in out.getvalue()
    result = hybrid_search(query="מה זה קצב למידה?", k=1)
    assert result.hits[0].youtube_id == "lwaDemoHe02"
