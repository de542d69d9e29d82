import factory

from accounts.tests.factories import InstructorFactory
from courses.models import Course, Video


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"rag-course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    owner = factory.SubFactory(InstructorFactory)
    is_published = True


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    course = factory.SubFactory(CourseFactory)
    youtube_id = factory.Sequence(lambda n: f"ragVid{n:05d}")
    title = factory.Sequence(lambda n: f"Video {n}")
    duration = 600
    order_index = factory.Sequence(lambda n: n)
