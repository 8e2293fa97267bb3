from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "vestige.capture"
    label = "capture"
    verbose_name = "Web capture"
    default_auto_field = "django.db.models.BigAutoField"
