from django.apps import AppConfig


class SanctionsConfig(AppConfig):
    name = "vestige.sanctions"
    label = "sanctions"
    verbose_name = "Sanctions lists"
    default_auto_field = "django.db.models.BigAutoField"
