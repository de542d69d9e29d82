"""Insights (insights/): what learners ask, for the course's instructor."""

from learnwithavi.settings.components.environment import env

# A question is "answered" when its best retrieval score (reciprocal-rank fusion: about 0.016
# for a first rank in one ranking, 0.028 in both) reaches this and the answer does not say the
# videos do not cover it.
INSIGHTS_RELEVANCE_THRESHOLD = env.float("INSIGHTS_RELEVANCE_THRESHOLD", default=0.02)
# Width of a timeline bin, seconds; long videos get wider bins so that there are at most
# INSIGHTS_MAX_BINS of them.
INSIGHTS_BIN_SECONDS = env.int("INSIGHTS_BIN_SECONDS", default=30)
INSIGHTS_MAX_BINS = env.int("INSIGHTS_MAX_BINS", default=120)
# Hotspots shown per video, and the questions a bin needs to be one.
INSIGHTS_HOTSPOTS = env.int("INSIGHTS_HOTSPOTS", default=3)
INSIGHTS_HOTSPOT_MIN_QUESTIONS = env.int("INSIGHTS_HOTSPOT_MIN_QUESTIONS", default=2)
# Latest unanswered questions and feedback comments listed per video.
INSIGHTS_LIST_LIMIT = env.int("INSIGHTS_LIST_LIMIT", default=10)
# Days covered when the request gives no `from`.
INSIGHTS_DEFAULT_DAYS = env.int("INSIGHTS_DEFAULT_DAYS", default=30)
# Question text (and feedback comments) older than this many days is emptied by a daily task;
# the records stay, so the counts do. 0 keeps the text.
INSIGHTS_RETENTION_DAYS = env.int("INSIGHTS_RETENTION_DAYS", default=365)
# How often Celery beat runs that purge, seconds (a day).
INSIGHTS_PURGE_EVERY_SECONDS = env.float("INSIGHTS_PURGE_EVERY_SECONDS", default=86400.0)
