import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from learnwithavi.validators import plain_multiline_text, plain_text

YOUTUBE_ID_PATTERN = r"^[A-Za-z0-9_-]{11}$"


class Difficulty(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Language(models.TextChoices):
    HEBREW = "he", _("Hebrew")
    ENGLISH = "en", _("English")


class TranscriptStatus(models.TextChoices):
    NONE = "none", _("No transcript")
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Course(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(
        _("slug"), max_length=120, unique=True, allow_unicode=True, validators=[plain_text]
    )
    title = models.CharField(_("title"), max_length=200, validators=[plain_text])
    description = models.TextField(
        _("description"), blank=True, max_length=5000, validators=[plain_multiline_text]
    )
    difficulty = models.CharField(
        _("difficulty"),
        max_length=16,
        choices=Difficulty.choices,
        default=Difficulty.BEGINNER,
        db_index=True,
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        default=Language.HEBREW,
        db_index=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("instructor"),
    )
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["title"], name="course_title_idx"),
            # Title search is `icontains`, i.e. UPPER(title) LIKE UPPER('%q%'): trigrams serve it.
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="course_title_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difficulty__in=[d.value for d in Difficulty]),
                name="course_difficulty_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=[lang.value for lang in Language]),
                name="course_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="videos", verbose_name=_("course")
    )
    youtube_id = models.CharField(
        _("YouTube id"),
        max_length=11,
        unique=True,
        validators=[RegexValidator(YOUTUBE_ID_PATTERN, _("Not a YouTube video id."))],
    )
    title = models.CharField(_("title"), max_length=200, validators=[plain_text])
    duration = models.PositiveIntegerField(
        _("duration"), help_text=_("Length in seconds."), validators=[MinValueValidator(1)]
    )
    order_index = models.PositiveIntegerField(_("position"), default=0)
    transcript_status = models.CharField(
        _("transcript status"),
        max_length=16,
        choices=TranscriptStatus.choices,
        default=TranscriptStatus.NONE,
        db_index=True,
    )
    transcript_error = models.TextField(_("transcript error"), blank=True)
    # How far a recording's transcription has come (0-100) while the transcript is processed.
    transcript_progress = models.PositiveSmallIntegerField(
        _("transcript progress"), default=0, validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["course", "order_index"]
        constraints = [
            # Deferred, so that reordering can swap positions inside one transaction.
            models.UniqueConstraint(
                fields=["course", "order_index"],
                name="video_order_unique_per_course",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=models.Q(duration__gt=0), name="video_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(youtube_id__regex=YOUTUBE_ID_PATTERN),
                name="video_youtube_id_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(transcript_status__in=[s.value for s in TranscriptStatus]),
                name="video_transcript_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def url_at(self, seconds: float) -> str:
        """A link that opens the video at `seconds`."""
        return f"https://www.youtube.com/watch?v={self.youtube_id}&t={int(seconds)}s"


class UserProgress(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=_("learner"),
    )
    video = models.ForeignKey(
        Video, on_delete=models.CASCADE, related_name="progress", verbose_name=_("video")
    )
    last_position = models.PositiveIntegerField(
        _("last position"), default=0, help_text=_("Seconds.")
    )
    completed = models.BooleanField(_("completed"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("progress")
        verbose_name_plural = _("learner progress")
        indexes = [
            # "Where to resume" and "my courses": a user's rows, most recent first.
            models.Index(fields=["user", "-updated_at"], name="progress_user_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "video"], name="progress_one_row_per_user_video"
            ),
            models.CheckConstraint(
                condition=models.Q(last_position__gte=0), name="progress_position_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(completed=False) | models.Q(completed_at__isnull=False),
                name="progress_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.video} {self.last_position}s"
