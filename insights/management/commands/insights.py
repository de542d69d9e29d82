"""manage.py insights --course SLUG: the insights summary for staff in a terminal."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from insights.charts import clock
from insights.selectors import course_insights, insights_period
from learnwithavi.casing import camelize
from learnwithavi.errors import ValidationFailed


class Command(BaseCommand):
    help = "Print where a course's learners get stuck: questions per video, hotspots, "
    "unanswered questions and feedback."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--course", required=True, help="The course's slug.")
        parser.add_argument("--from", dest="since", help="Start (YYYY-MM-DD); default 30 days ago.")
        parser.add_argument("--to", dest="until", help="End (YYYY-MM-DD, included); default now.")
        parser.add_argument("--json", action="store_true", help="Print the API's JSON instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            course = Course.objects.get(slug=options["course"])
        except Course.DoesNotExist:
            raise CommandError(f"No course with the slug {options['course']!r}.") from None
        try:
            since, until = insights_period(since=options["since"], until=options["until"])
        except ValidationFailed as error:
            raise CommandError(str(error.message)) from None
        insights = course_insights(course=course, since=since, until=until)
        if options["json"]:
            from insights.apis import CourseInsightsSerializer

            # The API's JSON: the same serializer, the same camelCase keys.
            data = camelize(CourseInsightsSerializer(insights).data)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        out = self.stdout.write
        out(f"{course.title} ({course.slug})")
        out(f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC")
        out(
            f"questions: {insights.questions}  learners: {insights.learners}  "
            f"unanswered: {insights.unanswered_count}"
        )
        for video in insights.videos:
            out("")
            out(
                f"▶ {video.title} [{clock(video.duration)}]  questions: {video.questions}  "
                f"unanswered: {video.unanswered_count}  "
                f"feedback: +{video.feedback.up} -{video.feedback.down}"
            )
            peak = max((b.questions for b in video.timeline), default=0)
            if peak:
                bars = " ▁▂▃▄▅▆▇█"
                out("  " + "".join(bars[round(8 * b.questions / peak)] for b in video.timeline))
            for hotspot in video.hotspots:
                out(
                    f"  hotspot {clock(hotspot.start)}-{clock(hotspot.end)}: "
                    f"{hotspot.questions} questions  {hotspot.url}"
                )
                for example in hotspot.examples:
                    out(f"    · {example}")
            if video.unanswered:
                out("  unanswered:")
                for row in video.unanswered:
                    at = "" if row.position is None else f"{clock(row.position)} "
                    out(f"    · {at}{row.question}")
            for comment in video.feedback.comments:
                sign = "+" if comment.rating == "up" else "-"
                out(f"  {sign} {comment.comment}  ({comment.question})")
