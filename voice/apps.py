from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "voice"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from learnwithavi.health import register_probe
        from voice import checks  # noqa: F401  registers the system checks
        from voice.health import stt_health, tts_health

        register_probe("tts", tts_health)
        register_probe("stt", stt_health)
