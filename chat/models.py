import uuid

from django.conf import settings
from django.db import models
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
