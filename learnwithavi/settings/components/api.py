"""REST framework and the OpenAPI schema (drf-spectacular)."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A bearer credential (our API token or a Clerk session token) first, then the session:
        # the order the streaming views use too (accounts.authentication.arequest_user).
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["learnwithavi.ratelimit.ScopedRateLimit"],
    # Serializers name fields in snake_case; the wire is camelCase. The renderer and the
    # parsers convert keys at this one boundary (learnwithavi.casing).
    "DEFAULT_RENDERER_CLASSES": ["learnwithavi.renderers.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "learnwithavi.parsers.CamelCaseJSONParser",
        "learnwithavi.parsers.CamelCaseMultiPartParser",
        "learnwithavi.parsers.CamelCaseFormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "learnwithavi.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "learnwithavi.errors.drf_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LearnWithAvi API",
    "DESCRIPTION": "Courses, transcripts, hybrid search, the streaming AI tutor and voice.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract's bodies are JSON; uploads declare multipart themselves (DRF's form parsers
    # stay on, but clients are not promised them).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Two serializers name a field "language" with different choices.
    "ENUM_NAME_OVERRIDES": {
        "CourseLanguageEnum": "courses.models.Language",
        "SpeechLanguageEnum": ["he", "en"],  # the voice endpoints name the language spoken
    },
    # POST /api/chat is a plain async view; a schema hook documents it.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chat.schema.document_chat_stream",
    ],
}
