"""The corroboration app: fingerprints at import and capture, suggestions, source groups."""

from django.apps import AppConfig


class CorroborationConfig(AppConfig):
    """Connects fingerprinting to the import signal."""

    name = "vestige.corroboration"
    label = "corroboration"
    verbose_name = "Corroboration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Fingerprint every batch of newly imported items and look for their near-copies."""
        from . import signals

        signals.connect()
