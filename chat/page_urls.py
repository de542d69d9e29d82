"""Pages outside /api/ (the demo page joins here)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
