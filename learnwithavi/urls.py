"""URL root: it only includes the apps' URLs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from learnwithavi.apis import HealthApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthApi.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
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
