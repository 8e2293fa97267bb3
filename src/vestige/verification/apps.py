"""The verification app: review workflow and provenance findings made at import and capture."""

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    """Connects provenance findings to the import signal."""

    name = "vestige.verification"
    label = "verification"
    verbose_name = "Verification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Compute provenance findings for every batch of newly imported items."""
        from . import signals

        signals.connect()
