from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "vestige.agreements"
    label = "agreements"
    verbose_name = "Agreements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Check the agreement files: a broken file stops start-up, naming the file and field."""
        from .catalogue import check_all

        check_all()
