from django.apps import AppConfig


class HeritageConfig(AppConfig):
    name = "vestige.heritage"
    label = "heritage"
    verbose_name = "Heritage sites"
    default_auto_field = "django.db.models.BigAutoField"
