from django.urls import URLPattern, URLResolver, path

from courses.apis import (
    CourseApi,
    CourseProgressApi,
    CoursesApi,
    CourseVideosApi,
    MyProgressApi,
    VideoApi,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses", CoursesApi.as_view(), name="courses"),
    path("courses/<uuid:course_id>", CourseApi.as_view(), name="course"),
    path("courses/<uuid:course_id>/videos", CourseVideosApi.as_view(), name="course-videos"),
    path("courses/<uuid:course_id>/progress", CourseProgressApi.as_view(), name="course-progress"),
    path("videos/<uuid:video_id>", VideoApi.as_view(), name="video"),
    path("me/progress", MyProgressApi.as_view(), name="my-progress"),
]
