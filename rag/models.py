from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from courses.models import Video

# Every provider returns vectors of this size (OpenAI is asked for 384 dimensions), so that one
# column and one HNSW index serve both; the model that made a vector is recorded beside it.
EMBEDDING_DIMENSIONS = 384


class TranscriptSource(models.Model):
    """One uploaded transcript file of a video: what a Celery ingest job works from."""

    class Format(models.TextChoices):
        VTT = "vtt", "WebVTT"
        SRT = "srt", "SRT"
        JSON = "json", "JSON"
        TEXT = "txt", _("Plain text with [mm:ss] stamps")
        # Audio or video, transcribed by speech-to-text; `content` is then its WebVTT.
        RECORDING = "rec", _("Recording (transcribed)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")
        UNCHANGED = "unchanged", _("Unchanged")
        FAILED = "failed", _("Failed")

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="transcript_sources")
    format = models.CharField(max_length=8, choices=Format.choices)
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField()
    content_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A recording waiting to be transcribed (deleted once it has been), and what was heard.
    recording_path = models.CharField(max_length=500, blank=True)
    recording_seconds = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    transcribed_by = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transcript upload")
        verbose_name_plural = _("transcript uploads")

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}" if self.created_at else "new"
        return f"{self.video} ({self.format}, {when})"


class TranscriptChunk(models.Model):
    """A timestamped piece of a video's transcript, with its vector and full-text terms."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="transcript_chunks")
    position = models.PositiveIntegerField()
    start_time = models.FloatField()
    end_time = models.FloatField()
    text = models.TextField()
    # Normalised words plus their Hebrew prefix-stripped forms (rag.text.index_text).
    search_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # No b-tree index: the planner must filter the HNSW scan (iterative scans), not bypass it.
    embedding_model = models.CharField(max_length=100, blank=True)
    # `simple` keeps every Hebrew word as is; `english` adds English stems.
    search_vector = models.GeneratedField(
        expression=RawSQL(
            "to_tsvector('simple'::regconfig, search_text) "
            "|| to_tsvector('english'::regconfig, search_text)",
            [],
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video", "position"]
        constraints = [
            models.UniqueConstraint(fields=["video", "position"], name="chunk_position_unique"),
            models.CheckConstraint(
                condition=models.Q(start_time__gte=0)
                & models.Q(end_time__gte=models.F("start_time")),
                name="chunk_times_ordered",
            ),
        ]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="chunk_search_vector_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.video_id} #{self.position} [{self.start_time:.0f}s]"
