"""URL root: it only includes the apps' URLs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_login import admin_login
from learnwithavi.apis import HealthApi

urlpatterns = [
    # Before the admin's own URLs: the sign-in is throttled (accounts/admin_login.py).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/health", HealthApi.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script for CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("accounts.urls")),
    path("api/", include("courses.urls")),
    path("api/", include("rag.urls")),
    path("api/", include("chat.urls")),
    path("api/", include("insights.urls")),
    path("api/voice/", include("voice.urls")),
    path("", include("chat.page_urls")),
]

handler400 = "learnwithavi.views.bad_request"
handler403 = "learnwithavi.views.permission_denied"
handler404 = "learnwithavi.views.page_not_found"
handler500 = "learnwithavi.views.server_error"
