from django.apps import AppConfig

from learnwithavi.health import ComponentHealth


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat import receivers  # noqa: F401  connects the erasure receiver
        from learnwithavi.health import register_probe

        register_probe("chat", chat_health)


def chat_health() -> ComponentHealth:
    """Which provider answers first and which ones take over; never a key or a host."""
    from chat.providers import get_chat_models

    models = list(get_chat_models())
    return ComponentHealth(
        "ok",
        {
            "provider": models[0].provider,
            "model": models[0].model,
            "fallback": [m.provider for m in models[1:]],
        },
    )
