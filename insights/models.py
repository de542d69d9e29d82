"""The insights' own tables are a rollup of chat's question records by calendar month (UTC),
written by a daily task for months that are over; the current month is always read from the
records themselves. With a year of questions on a large course, the aggregate then reads tens
of thousands of rollup rows instead of a million records (bench/insights_bench.py).

A monthly grain, not a daily one: a busy course of 40 videos has about as many (video, day,
30-second bin) cells as questions, so a daily rollup would be nearly as large as the records.

The proxy of Course only gives the admin its "Insights" section.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course


class CourseInsights(Course):
    class Meta:
        proxy = True
        verbose_name = _("course insights")
        verbose_name_plural = _("course insights")


class MonthlyQuestionBin(models.Model):
    """Questions of one month on one stretch of a video (no video: course-wide questions; no
    bin: no playback position). Anonymous counts: erasure leaves them."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+", db_index=False)
    video = models.ForeignKey(
        "courses.Video", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()
    # The bin's first second is base_bin * bin_seconds (INSIGHTS_BIN_SECONDS when rolled up).
    base_bin = models.IntegerField(null=True)
    bin_seconds = models.PositiveIntegerField()
    questions = models.PositiveIntegerField()
    unanswered = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["course", "month"],
                include=["video", "base_bin", "bin_seconds", "questions", "unanswered"],
                name="insights_qbin_course_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.video_id} {self.base_bin}: {self.questions}"


class MonthlyLearner(models.Model):
    """A signed-in learner asked about the course that month (for the distinct count only).
    Points at the user, so erasure and account deletion remove it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "month", "user"], name="insights_learner_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.course_id}"


class RolledUpMonth(models.Model):
    """A month whose records are in the rollup (every course's, in one transaction)."""

    month = models.DateField(unique=True)
    rolled_up_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
