from django.conf import settings
from django.db import models


class AIUsage(models.Model):
    """One call to a paid AI service: what it cost in tokens, characters or audio, and money.

    `success` says whether the provider delivered: False only when the call failed on the
    provider's side (an error, a timeout, a stream the provider cut short). A call the client
    abandoned (the learner left mid-answer or mid-speech) is not a provider failure: it is a
    success, and its amounts are what was delivered until then. Every writer follows this
    (chat.persistence for the chat, voice.services for speech).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ai_usage",
    )
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    characters = models.PositiveIntegerField(default=0)
    audio_seconds = models.FloatField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    success = models.BooleanField(
        default=True,
        help_text="False only when the provider failed (an error, a timeout, a stream it cut "
        "short); a call the client abandoned is not a provider failure.",
    )

    class Meta:
        verbose_name = "AI usage"
        verbose_name_plural = "AI usage"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["provider", "created_at"]),
            models.Index(fields=["endpoint", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model} {self.endpoint} ${self.estimated_cost}"
