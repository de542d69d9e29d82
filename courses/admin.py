"""The instructors' admin: each instructor sees and edits only their own courses; admins all.

Staff with role instructor get their rights from their role, not from Django model permissions,
so there is nothing to grant by hand when someone becomes an instructor.
"""

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.permissions import can_author_courses, is_platform_admin
from courses.models import Course, UserProgress, Video
from courses.permissions import can_manage_course
from courses.services import video_order_normalize

# A new row without a position goes after every existing one; positions are renumbered on save.
APPEND = 1_000_000


def _own_courses(request: HttpRequest, prefix: str = "") -> Q:
    """All courses for admins; an instructor's own otherwise (`prefix` reaches them from rows)."""
    if is_platform_admin(request.user):
        return Q()
    return Q(**{f"{prefix}owner_id": request.user.pk})


_M = TypeVar("_M", bound=Model)


class RoleScopedAdmin(admin.ModelAdmin[_M]):
    """Rights from the role: instructors and admins may use this admin at all, and may add, and
    change or delete what they manage (`_manages`)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (obj is None or self._manages(request, obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        raise NotImplementedError


class VideoInlineForm(forms.ModelForm[Video]):
    # A plain form field, not the model's order_index: Django's unique check would refuse two
    # videos swapping places, which the deferred database constraint allows in one transaction.
    position = forms.IntegerField(label=_("Position"), min_value=0, required=False)

    class Meta:
        model = Video
        fields = ("youtube_id", "title", "duration")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["position"].initial = self.instance.order_index

    def save(self, commit: bool = True) -> Video:
        position = self.cleaned_data.get("position")
        self.instance.order_index = APPEND if position is None else position
        return super().save(commit=commit)


class VideoInline(admin.TabularInline[Video, Course]):
    model = Video
    form = VideoInlineForm
    fields = ("position", "youtube_id", "title", "duration", "transcript_status")
    readonly_fields = ("transcript_status",)
    ordering = ("order_index",)
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_author_courses(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_author_courses(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_author_courses(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_author_courses(request.user)


@admin.register(Course)
class CourseAdmin(RoleScopedAdmin[Course]):
    inlines = [VideoInline]
    list_display = (
        "title",
        "language",
        "difficulty",
        "is_published",
        "owner",
        "video_count",
        "learner_count",
        "completion_rate",
        "created_at",
    )
    list_filter = ("is_published", "difficulty", "language")
    search_fields = ("title", "slug", "videos__youtube_id")
    prepopulated_fields = {"slug": ("title",)}
    list_select_related = ("owner",)

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        return can_manage_course(user=request.user, course=obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return (
            super()
            .get_queryset(request)
            .filter(_own_courses(request))
            .annotate(
                video_total=Count("videos", distinct=True),
                learner_total=Count("videos__progress__user", distinct=True),
                completion_total=Count(
                    "videos__progress", filter=Q(videos__progress__completed=True), distinct=True
                ),
            )
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("title", "slug", "description", "difficulty", "language", "is_published")
        return (*fields, "owner") if is_platform_admin(request.user) else fields

    def get_list_filter(self, request: HttpRequest) -> Any:
        if is_platform_admin(request.user):
            return (*self.list_filter, "owner")
        return self.list_filter

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(role__in=[Role.INSTRUCTOR, Role.ADMIN])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        if not change and not is_platform_admin(request.user):
            obj.owner = request.user  # type: ignore[assignment]  # has_add_permission: a User
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        video_order_normalize(course=form.instance)

    @admin.display(description=_("Videos"), ordering="video_total")
    def video_count(self, course: Any) -> int:
        return int(course.video_total)

    @admin.display(description=_("Learners"), ordering="learner_total")
    def learner_count(self, course: Any) -> int:
        return int(course.learner_total)

    @admin.display(description=_("Completion"))
    def completion_rate(self, course: Any) -> str:
        possible = course.video_total * course.learner_total
        if not possible:
            return "—"
        return f"{round(100 * course.completion_total / possible)}%"


class OwnCourseFilter(admin.SimpleListFilter):
    """Filter by course, offering only the courses this user manages."""

    title = _("course")
    parameter_name = "course"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        courses = Course.objects.filter(_own_courses(request)).order_by("title")
        return [(str(course.pk), course.title) for course in courses]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        field = "course_id" if queryset.model is Video else "video__course_id"
        return queryset.filter(**{field: self.value()})


@admin.register(Video)
class VideoAdmin(RoleScopedAdmin[Video]):
    list_display = (
        "title",
        "youtube_id",
        "course",
        "order_index",
        "duration",
        "transcript_status",
        "transcript_percent",
    )
    list_filter = (OwnCourseFilter, "transcript_status")
    search_fields = ("title", "youtube_id")
    list_select_related = ("course",)
    ordering = ("course__title", "order_index")
    # Positions change in the course's inline, where a whole new order is saved at once.
    readonly_fields = (
        "order_index",
        "transcript_status",
        "transcript_percent",
        "transcript_error",
        "transcript_upload",
    )
    fields = (
        "course",
        "youtube_id",
        "title",
        "duration",
        "order_index",
        "transcript_status",
        "transcript_percent",
        "transcript_error",
        "transcript_upload",
    )

    @admin.display(description=_("Transcript progress"))
    def transcript_percent(self, obj: Video) -> str:
        """How far the transcript's processing has come (a recording's transcription)."""
        done = 100 if obj.transcript_status == "ready" else obj.transcript_progress
        return f"{done}%"

    @admin.display(description=_("Transcript"))
    def transcript_upload(self, obj: Video) -> str:
        """A link to the transcript upload page (rag's admin), by URL name: no import of rag."""
        if obj.pk is None:
            return "-"
        try:
            url = reverse("admin:rag_transcriptsource_add")
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}?video={}">{}</a>', url, obj.pk, _("Upload a transcript"))

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        return can_manage_course(user=request.user, course=obj.course)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Video]:
        return super().get_queryset(request).filter(_own_courses(request, "course__"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "course":
            kwargs["queryset"] = Course.objects.filter(_own_courses(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(self.readonly_fields)
        return (*readonly, "course") if obj is not None else readonly

    def save_model(self, request: HttpRequest, obj: Video, form: Any, change: bool) -> None:
        if not change:
            obj.order_index = APPEND
        super().save_model(request, obj, form, change)
        video_order_normalize(course=obj.course)


@admin.register(UserProgress)
class UserProgressAdmin(RoleScopedAdmin[UserProgress]):
    """Read-only: learners write their progress through the API."""

    list_display = ("user", "video", "course_title", "last_position", "completed", "updated_at")
    list_filter = (OwnCourseFilter, "completed")
    search_fields = ("user__email", "video__title", "video__youtube_id")
    list_select_related = ("user", "video__course")
    ordering = ("-updated_at",)

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        return can_manage_course(user=request.user, course=obj.video.course)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[UserProgress]:
        return super().get_queryset(request).filter(_own_courses(request, "video__course__"))

    @admin.display(description=_("course"), ordering="video__course__title")
    def course_title(self, progress: UserProgress) -> str:
        return progress.video.course.title
