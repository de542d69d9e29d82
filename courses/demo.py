"""Demo data: a demo instructor and student and one small published Hebrew course.

Everything here is idempotent: running it again updates the same rows instead of adding more.
`seed_demo_course()` is the entry point for later steps (transcript ingestion) that need the
course; `seed_demo()` is what `manage.py seed_demo` runs.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.models import Role, User
from courses.models import Course, Difficulty, Language, Video

DEMO_INSTRUCTOR_EMAIL = "demo-instructor@learnwithavi.local"
DEMO_STUDENT_EMAIL = "demo-student@learnwithavi.local"
DEMO_COURSE_SLUG = "intro-to-machine-learning"
DEMO_COURSE_TITLE = "מבוא ללמידת מכונה"
DEMO_COURSE_DESCRIPTION = (
    "קורס קצר שמציג את הרעיונות המרכזיים של למידת מכונה: מה המודל לומד, "
    "איך ירידה בגרדיאנט מאמנת אותו, ומהי התאמת יתר וכיצד מונעים אותה."
)


@dataclass(frozen=True)
class DemoVideo:
    youtube_id: str
    title: str
    duration: int  # seconds
    language: str  # of the spoken video and its transcript


DEMO_VIDEOS = (
    DemoVideo("lwaDemoHe01", "מהי למידת מכונה?", 540, Language.HEBREW),
    DemoVideo("lwaDemoHe02", "ירידה בגרדיאנט", 660, Language.HEBREW),
    DemoVideo("lwaDemoEn01", "Overfitting and regularization", 600, Language.ENGLISH),
)


@dataclass(frozen=True)
class DemoCredential:
    email: str
    role: str
    password: str | None  # shown only when generated now; None when unchanged or from settings
    source: str  # "generated", "environment" or "unchanged"


def _demo_user(*, email: str, role: Role, configured_password: str) -> tuple[User, DemoCredential]:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"role": role, "is_staff": role == Role.INSTRUCTOR, "first_name": "Demo"},
    )
    if user.role != role:
        user.role = role
        user.is_staff = role == Role.INSTRUCTOR
        user.save(update_fields=["role", "is_staff"])
    if configured_password:
        # The environment is the source of truth: a changed variable changes the password.
        if not user.check_password(configured_password):
            user.set_password(configured_password)
            user.save(update_fields=["password"])
        return user, DemoCredential(email, role, None, "environment")
    if created or not user.has_usable_password():
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
        return user, DemoCredential(email, role, password, "generated")
    return user, DemoCredential(email, role, None, "unchanged")


def seed_demo_users() -> list[DemoCredential]:
    """The demo instructor (staff, may use the admin) and student, with their passwords."""
    _, instructor = _demo_user(
        email=DEMO_INSTRUCTOR_EMAIL,
        role=Role.INSTRUCTOR,
        configured_password=settings.DEMO_INSTRUCTOR_PASSWORD,
    )
    _, student = _demo_user(
        email=DEMO_STUDENT_EMAIL,
        role=Role.STUDENT,
        configured_password=settings.DEMO_STUDENT_PASSWORD,
    )
    return [instructor, student]


@transaction.atomic
def seed_demo_course() -> Course:
    """The published Hebrew demo course with exactly DEMO_VIDEOS, in order.

    Creates the demo instructor as its owner if needed (without a usable password:
    `seed_demo_users` gives it one). Transcript fields of existing videos are left alone.
    """
    owner, _ = User.objects.get_or_create(
        email=DEMO_INSTRUCTOR_EMAIL,
        defaults={"role": Role.INSTRUCTOR, "is_staff": True, "first_name": "Demo"},
    )
    if not owner.password:
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
    course, _ = Course.objects.update_or_create(
        slug=DEMO_COURSE_SLUG,
        defaults={
            "title": DEMO_COURSE_TITLE,
            "description": DEMO_COURSE_DESCRIPTION,
            "difficulty": Difficulty.BEGINNER,
            "language": Language.HEBREW,
            "owner": owner,
            "is_published": True,
        },
    )
    wanted = [video.youtube_id for video in DEMO_VIDEOS]
    Video.objects.filter(course=course).exclude(youtube_id__in=wanted).delete()
    # (course, order_index) is checked at commit, so positions may pass through duplicates here.
    for position, demo in enumerate(DEMO_VIDEOS):
        Video.objects.update_or_create(
            youtube_id=demo.youtube_id,
            defaults={
                "course": course,
                "title": demo.title,
                "duration": demo.duration,
                "order_index": position,
            },
        )
    return course


@dataclass(frozen=True)
class DemoSeed:
    course: Course
    credentials: list[DemoCredential]


def seed_demo() -> DemoSeed:
    """Users first (so that the course's owner gets its password), then the course."""
    credentials = seed_demo_users()
    return DemoSeed(course=seed_demo_course(), credentials=credentials)
