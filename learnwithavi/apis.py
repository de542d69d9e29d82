"""Platform endpoints: the health check."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from learnwithavi.health import health_report


class HealthApi(APIView):
    permission_classes: list[type] = []
    rate_limit_scope = None  # monitors poll it; it reveals nothing worth limiting

    @extend_schema(
        summary="Service health",
        description=(
            "healthy, degraded or unhealthy, each service with its status and latency. Staff "
            "also see versions, provider and model names and the embedding cache's figures."
        ),
        responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        status, report = health_report(detailed=bool(request.user and request.user.is_staff))
        response = Response(report, status=503 if status == "unhealthy" else 200)
        response["Cache-Control"] = "no-store"
        return response
