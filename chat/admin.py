import datetime
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation, Message
from chat.usage_selectors import usage_by_day
from learnwithavi.models import AIUsage


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    extra = 0
    fields = ("role", "status", "provider", "content", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ("title", "user", "video", "course", "updated_at")
    list_select_related = ("user", "video", "course")
    search_fields = ("title", "user__email")
    readonly_fields = ("user", "video", "course", "created_at", "updated_at")
    inlines = [MessageInline]


@admin.register(AIUsage)
class AIUsageAdmin(admin.ModelAdmin[AIUsage]):
    """Every paid AI call, and above the list the last 30 days summed by day and provider."""

    change_list_template = "chat/admin/aiusage_change_list.html"
    list_display = (
        "created_at",
        "provider",
        "model",
        "endpoint",
        "user",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "latency_ms",
        "estimated_cost",
        "success",
    )
    list_filter = ("provider", "endpoint", "success", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "model")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        today = timezone.now().date()
        context = {
            **(extra_context or {}),
            "usage_summary": usage_by_day(since=today - datetime.timedelta(days=29), until=today),
            "usage_summary_title": _("Last 30 days by day, provider and endpoint"),
        }
        return super().changelist_view(request, extra_context=context)  # type: ignore[return-value]  # always a TemplateResponse here
