from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    """The protection registry: sealed identities, consent, claims and the audit of every read."""

    name = "vestige.protection"
    label = "protection"
    verbose_name = "Protection registry"
    default_auto_field = "django.db.models.BigAutoField"
