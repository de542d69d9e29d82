from typing import Any

from django.apps import AppConfig


def _embeddings_probe() -> Any:
    from django.conf import settings

    from learnwithavi.health import ComponentHealth
    from rag.providers import active_model_id

    provider = "openai" if settings.OPENAI_API_KEY else "local"
    return ComponentHealth("ok", {"provider": provider, "model": active_model_id()})


def _ingest_demo_transcripts(sender: Any, course: Any = None, **kwargs: Any) -> str:
    """`seed_demo` has created the demo course: give its videos their transcripts."""
    from rag.demo import ingest_demo_transcripts

    count = ingest_demo_transcripts()
    return f"Demo transcripts: {count} videos ingested and searchable"


class RagConfig(AppConfig):
    name = "rag"
    verbose_name = "Transcripts and search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from courses.signals import demo_course_seeded
        from learnwithavi import adb
        from learnwithavi.health import register_cache_stats, register_probe
        from rag.db import configure_session, register_adapters, session_statements
        from rag.embeddings import cache_stats

        register_adapters()
        connection_created.connect(configure_session, dispatch_uid="rag-search-session")
        for statement in session_statements():
            adb.register_session_statement(statement)

        demo_course_seeded.connect(_ingest_demo_transcripts, dispatch_uid="rag-demo-transcripts")
        register_probe("embeddings", _embeddings_probe)
        register_cache_stats("embeddings", cache_stats)
