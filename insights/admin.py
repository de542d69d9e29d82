"""The admin's "Insights": the courses an instructor manages, and each one's insights page
(per video, a timeline chart drawn on the server, hotspots, unanswered questions, comments)."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_author_courses, is_platform_admin
from courses.permissions import can_manage_course
from insights.charts import clock, timeline_svg
from insights.models import CourseInsights
from insights.selectors import course_insights, insights_period
from learnwithavi.errors import ValidationFailed


@admin.register(CourseInsights)
class CourseInsightsAdmin(admin.ModelAdmin[CourseInsights]):
    list_display = ("title", "language", "is_published", "insights_link")
    search_fields = ("title", "slug")
    ordering = ("title",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CourseInsights]:
        courses = super().get_queryset(request)
        if is_platform_admin(request.user):
            return courses
        return courses.filter(owner_id=request.user.pk)

    # Rights come from the role, as in the courses admin: instructors see their own courses.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or can_manage_course(user=request.user, course=obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Insights"))
    def insights_link(self, obj: CourseInsights) -> str:
        url = reverse("admin:insights_courseinsights_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        course = self.get_object(request, unquote(object_id))
        if course is None:
            raise Http404
        if not self.has_view_permission(request, course):
            raise PermissionDenied
        since_text, until_text = request.GET.get("from"), request.GET.get("to")
        try:
            since, until = insights_period(since=since_text, until=until_text)
        except ValidationFailed as error:
            messages.error(request, str(error.message))
            since, until = insights_period(since=None, until=None)
        insights = course_insights(course=course, since=since, until=until)
        videos = [
            {
                "insights": video,
                "chart": timeline_svg(
                    title=video.title,
                    youtube_id=video.youtube_id,
                    duration=video.duration,
                    timeline=video.timeline,
                    hotspots=video.hotspots,
                ),
                "hotspots": [
                    {"spot": h, "start": clock(h.start), "end": clock(h.end)}
                    for h in video.hotspots
                ],
                "unanswered": [
                    {"item": u, "at": None if u.position is None else clock(u.position)}
                    for u in video.unanswered
                ],
            }
            for video in insights.videos
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Insights: %(course)s") % {"course": course.title},
            "subtitle": None,
            "course": course,
            "insights": insights,
            "videos": videos,
            "since": since,
            "until": until,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "insights/admin/course_insights.html", context)
