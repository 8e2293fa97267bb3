from django.apps import AppConfig


class WatchConfig(AppConfig):
    name = "vestige.watch"
    label = "watch"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Watched sources"
