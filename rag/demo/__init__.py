"""Original transcripts for the demo course's videos, and the function that ingests them."""

from pathlib import Path

from courses.models import Video

DEMO_DIR = Path(__file__).resolve().parent
DEMO_TRANSCRIPTS = {
    "lwaDemoHe01": "lwaDemoHe01.vtt",  # מהי למידת מכונה? (540 s)
    "lwaDemoHe02": "lwaDemoHe02.vtt",  # ירידה בגרדיאנט (660 s)
    "lwaDemoEn01": "lwaDemoEn01.vtt",  # Overfitting and regularization (600 s)
}


def ingest_demo_transcripts() -> int:
    """Ingest, inline, the transcript of each demo video that exists; idempotent.

    Returns how many demo videos now have their transcript. Raises TranscriptParseError or
    EmbeddingError if a transcript cannot be read or embedded.
    """
    from rag.services import transcript_upload

    videos = Video.objects.filter(youtube_id__in=DEMO_TRANSCRIPTS)
    count = 0
    for video in videos:
        filename = DEMO_TRANSCRIPTS[video.youtube_id]
        content = (DEMO_DIR / filename).read_text(encoding="utf-8")
        transcript_upload(video=video, content=content, filename=filename, run_inline=True)
        count += 1
    return count
