"""The instructors' insights at scale: GET /api/courses/{id}/insights over 1,000,000 question
records (a year of a large course).

The corpus: one course of 40 videos (5 to 60 minutes), questions spread over the last 365 days,
30% of them crowding three stretches of each video, 15% unanswered, 60% asked by 5,000
signed-in learners, 20,000 rated answers (a third with a comment). The records are generated
inside PostgreSQL (generate_series), then VACUUM ANALYZE, as autovacuum would leave a table
that is mostly appended to. The months that are over are then rolled up (insights.services,
as the hourly task does), and the time that takes is printed.

Figures: the endpoint through Django's test client (authentication, permission, the selectors,
serialization), p50 / p95 over `--runs` requests, for the default period (30 days) and a whole
year, the year also as if there were no rollup (records only, for comparison); the statements'
own times; and the plans of the grouped counts.

    .venv/bin/python bench/insights_bench.py [--records 1000000] [--runs 20] [--keep NAME]

By default the corpus lives in a throw-away test database. `--keep NAME` loads it into database
NAME once and reuses it on later runs.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

VIDEOS = 40
LEARNERS = 5_000
FEEDBACK = 20_000


def load(records: int) -> Any:
    """The course with its videos, learners and `records` question records."""
    from accounts.models import User
    from courses.models import Course, Video

    started = time.perf_counter()
    instructor = User.objects.create_user(
        email="bench-instructor@example.test", password=None, role="instructor"
    )
    course = Course.objects.create(
        owner=instructor, slug="insights-bench", title="Bench course", is_published=True
    )
    Video.objects.bulk_create(
        Video(
            course=course,
            youtube_id=f"bench{i:06d}",
            title=f"Lecture {i + 1}",
            duration=300 + (i * 331) % 3300,
            order_index=i,
        )
        for i in range(VIDEOS)
    )
    User.objects.bulk_create(
        User(email=f"learner{i}@example.test", password="!")  # noqa: S106  an unusable one
        for i in range(LEARNERS)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
WITH vids AS (
    SELECT array_agg(id ORDER BY order_index) AS ids,
           array_agg(duration ORDER BY order_index) AS durations
    FROM courses_video WHERE course_id = %(course)s
), learners AS (
    SELECT array_agg(id) AS ids FROM accounts_user WHERE email LIKE 'learner%%'
), draws AS (
    SELECT g, 1 + floor(random() * %(videos)s)::int AS v, random() AS r_where,
           random() AS r_pos, random() AS r_who, random() AS r_when, random() AS r_ok
    FROM generate_series(1, %(records)s) g
)
INSERT INTO chat_questionrecord
    (course_id, video_id, user_id, answer_id, text, position, language, best_score, answered,
     asked_at)
SELECT %(course)s, vids.ids[d.v],
       CASE WHEN d.r_who < 0.6 THEN learners.ids[1 + floor(d.r_who / 0.6 * %(learners)s)::int] END,
       NULL,
       'Why does step ' || (d.g %% 97) || ' of this lecture work?',
       CASE WHEN d.r_where < 0.3
            THEN vids.durations[d.v] * (0.15 + 0.3 * floor(d.r_where * 10)) + d.r_pos * 45
            ELSE d.r_pos * vids.durations[d.v] END,
       CASE WHEN d.g %% 3 = 0 THEN 'he' ELSE 'en' END,
       0.01 + d.r_ok * 0.02,
       d.r_ok > 0.15,
       now() - d.r_when * interval '365 days'
FROM draws d, vids, learners
""",
            {"course": course.pk, "videos": VIDEOS, "records": records, "learners": LEARNERS},
        )
        # Rated answers: a conversation and an answer for each, then the feedback.
        cursor.execute(
            """
CREATE TEMP TABLE picked AS
SELECT id AS record_id, user_id, video_id, course_id, gen_random_uuid() AS conversation_id,
       nextval(pg_get_serial_sequence('chat_message', 'id')) AS message_id
FROM chat_questionrecord WHERE user_id IS NOT NULL ORDER BY random() LIMIT %(feedback)s;
INSERT INTO chat_conversation (id, user_id, video_id, course_id, title, created_at, updated_at)
SELECT conversation_id, user_id, video_id, course_id, 'bench', now(), now() FROM picked;
INSERT INTO chat_message
    (id, conversation_id, role, content, sources, status, provider, model, created_at)
SELECT message_id, conversation_id, 'assistant', 'An answer [1].', '[]', 'complete', 'local', '',
       now() FROM picked;
UPDATE chat_questionrecord r SET answer_id = p.message_id FROM picked p WHERE r.id = p.record_id;
INSERT INTO chat_answerfeedback (message_id, rating, comment, created_at, updated_at)
SELECT message_id, CASE WHEN random() < 0.7 THEN 'up' ELSE 'down' END,
       CASE WHEN random() < 0.33 THEN 'Comment on answer ' || message_id ELSE '' END, now(), now()
FROM picked;
DROP TABLE picked;
""",
            {"feedback": FEEDBACK},
        )
    with connection.cursor() as cursor:
        for table in ("chat_questionrecord", "chat_message", "chat_answerfeedback"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"loaded {records:,} records in {time.perf_counter() - started:.0f} s")
    return course


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(records: int, runs: int, *, keep: bool) -> None:
    from django.conf import settings
    from rest_framework.test import APIClient

    from chat.models import QuestionRecord
    from courses.models import Course

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")  # 2 shared cores: no help
    course = Course.objects.filter(slug="insights-bench").first() if keep else None
    if course is not None and QuestionRecord.objects.count() != records:
        raise SystemExit("database NAME holds another corpus size: drop it or pick another name")
    if course is None:
        course = load(records)
    from insights.models import MonthlyLearner, MonthlyQuestionBin, RolledUpMonth
    from insights.services import question_months_roll_up

    started = time.perf_counter()
    months = question_months_roll_up()
    if months:
        print(f"rolled up {len(months)} months in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE insights_monthlyquestionbin")
        cursor.execute("VACUUM ANALYZE insights_monthlylearner")
    print(
        f"rollup: {MonthlyQuestionBin.objects.count():,} bin rows, "
        f"{MonthlyLearner.objects.count():,} learner rows"
    )
    client = APIClient()
    client.force_authenticate(user=course.owner)
    url = f"/api/courses/{course.pk}/insights"
    print(f"{QuestionRecord.objects.count():,} question records, {VIDEOS} videos")
    print()
    print("| period | read from | questions | p50 ms | p95 ms | statements | slowest one ms |")
    print("|---|---|---|---|---|---|---|")

    def measure(label: str, source: str, params: dict[str, str]) -> list[dict[str, str]]:
        client.get(url, params)  # warm: plans, buffers
        samples: list[float] = []
        slowest = 0.0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params)
                samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            slowest = max(slowest, max(float(q["time"]) * 1000 for q in queries))
        p50, p95 = percentiles(samples)
        body = response.json()
        print(
            f"| {label} | {source} | {body['questions']:,} | {p50:.0f} | {p95:.0f} "
            f"| {len(queries)} | {slowest:.0f} |"
        )
        return list(queries)

    year = {"from": "2000-01-01"}
    measure("30 days (default)", "records", {})
    queries = measure("365 days", "rollup + current month's records", year)
    with transaction.atomic():
        RolledUpMonth.objects.all().delete()  # for comparison: as if there were no rollup
        measure("365 days", "records only", year)
        transaction.set_rollback(True)
    print()
    print("statements of the last request (365 days), ms:")
    for query in queries:
        print(f"  {float(query['time']) * 1000:7.1f}  {' '.join(query['sql'].split())[:110]}")
    for name, marker in (("records", "FLOOR"), ("monthly rollup", "monthlyquestionbin")):
        statement = next((q["sql"] for q in queries if marker in q["sql"]), None)
        if statement is None:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
            print()
            print(f"plan of the grouped count over the {name}:")
            for (line,) in cursor.fetchall():
                print("  " + line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", metavar="NAME", help="load into database NAME, reuse it later")
    arguments = parser.parse_args()
    if arguments.keep:
        from django.core.management import call_command

        connection.settings_dict["NAME"] = arguments.keep
        call_command("migrate", verbosity=0)
        try:
            main(arguments.records, arguments.runs, keep=True)
        finally:
            connection.close()
    else:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            main(arguments.records, arguments.runs, keep=False)
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)
