"""Pages outside /api/: the demo page that chats with a video."""

from django.urls import URLPattern, URLResolver, path

from chat.pages import demo_page

urlpatterns: list[URLPattern | URLResolver] = [path("", demo_page, name="demo")]
