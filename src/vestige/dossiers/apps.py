from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "vestige.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"
    default_auto_field = "django.db.models.BigAutoField"
