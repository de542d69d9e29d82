import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    """A signed-in learner's chat with the tutor about one video or one course."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    video = models.ForeignKey(
        "courses.Video",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [models.Index(fields=["user", "-updated_at"], name="chat_conv_user_updated")]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    """One turn: the learner's question or the tutor's answer with the sources it cited."""

    class Role(models.TextChoices):
        USER = "user", _("Learner")
        ASSISTANT = "assistant", _("Tutor")

    class Status(models.TextChoices):
        COMPLETE = "complete", _("Complete")
        # The learner left mid-answer: what was said so far is kept.
        INTERRUPTED = "interrupted", _("Interrupted")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField()
    # The cited sources as sent in `done` (a snapshot: chunks may be re-ingested later).
    sources = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="chat_msg_conv_created")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["user", "assistant"]), name="chat_message_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["complete", "interrupted", "failed"]),
                name="chat_message_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class QuestionRecord(models.Model):
    """One question to the tutor, signed-in or anonymous, for the instructors' insights.

    `user` is set only for signed-in learners, and only for their own history and erasure:
    the insights never read it except to count distinct learners. The retention task empties
    `text` after INSIGHTS_RETENTION_DAYS and keeps the row, so the counts stay.
    """

    # Indexed by the composite indexes below (their first column).
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    video = models.ForeignKey(
        "courses.Video",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # Account deletion and erasure remove the rows that point at the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="question_records",
    )
    # The tutor's answer (signed-in learners only): feedback on it reaches this row.
    answer = models.OneToOneField(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="question_record",
    )
    text = models.TextField(_("question"), blank=True)
    position = models.FloatField(_("playback position"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8)
    best_score = models.FloatField(_("best retrieval score"), null=True, blank=True)
    answered = models.BooleanField(_("answered"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("question record")
        verbose_name_plural = _("question records")
        indexes = [
            # The insights' aggregate reads only this index (an index-only scan).
            models.Index(
                fields=["course", "asked_at"],
                include=["video", "position", "answered", "user"],
                name="chat_qrec_course_asked",
            ),
            # The latest questions of one video (hotspot examples, unanswered ones).
            models.Index(fields=["video", "asked_at"], name="chat_qrec_video_asked"),
            # The retention purge finds the rows that still hold text.
            models.Index(
                fields=["asked_at"],
                condition=~models.Q(text=""),
                name="chat_qrec_text_asked",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__isnull=True) | models.Q(position__gte=0),
                name="chat_qrec_position_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class AnswerFeedback(models.Model):
    """A learner's rating of one answer, with an optional comment; one per answer."""

    class Rating(models.TextChoices):
        UP = "up", _("Helpful")
        DOWN = "down", _("Not helpful")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    rating = models.CharField(_("rating"), max_length=8, choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer feedback")
        verbose_name_plural = _("answer feedback")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__in=["up", "down"]), name="chat_feedback_rating_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}: {self.comment[:40]}"
