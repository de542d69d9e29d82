from django.urls import URLPattern, URLResolver, path

from insights.apis import CourseInsightsApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/<uuid:course_id>/insights", CourseInsightsApi.as_view(), name="course-insights"),
]
