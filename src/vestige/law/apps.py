from django.apps import AppConfig


class LawConfig(AppConfig):
    name = "vestige.law"
    label = "law"
    verbose_name = "Law"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Check the legal texts: a broken file stops start-up, naming the file and field."""
        from .catalogue import check_all

        check_all()
