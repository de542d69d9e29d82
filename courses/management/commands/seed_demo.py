from typing import Any

from django.core.management.base import BaseCommand

from courses.demo import seed_demo
from courses.models import Course
from courses.signals import demo_course_seeded


class Command(BaseCommand):
    help = "Create or update the demo instructor, student and Hebrew course (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        seed = seed_demo()
        course = seed.course
        self.stdout.write(
            f"Demo course: {course.title} ({course.slug}), {course.videos.count()} videos"
        )
        for credential in seed.credentials:
            if credential.source == "generated":
                note = f"password: {credential.password}  (shown once; set it in .env to keep)"
            elif credential.source == "environment":
                note = "password from the environment"
            else:
                note = "password unchanged"
            self.stdout.write(f"Demo {credential.role}: {credential.email}  {note}")
        for _receiver, line in demo_course_seeded.send(sender=Course, course=course):
            if line:
                self.stdout.write(str(line))
