from django.apps import AppConfig


class LearnWithAviConfig(AppConfig):
    name = "learnwithavi"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from learnwithavi import checks  # noqa: F401  registers the system checks
