import factory

from accounts.tests.factories import InstructorFactory
from courses.models import Course, Difficulty, Language, UserProgress, Video


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    description = "A course."
    difficulty = Difficulty.BEGINNER
    language = Language.HEBREW
    owner = factory.SubFactory(InstructorFactory)
    is_published = True


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    course = factory.SubFactory(CourseFactory)
    youtube_id = factory.Sequence(lambda n: f"vid{n:08d}")
    title = factory.Sequence(lambda n: f"Video {n}")
    duration = 600
    order_index = factory.LazyAttribute(lambda video: video.course.videos.count())


class UserProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserProgress

    video = factory.SubFactory(VideoFactory)
    last_position = 0
