from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "vestige.cases"
    label = "cases"
    verbose_name = "Cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Check the controlled vocabularies: a broken file stops start-up, naming the field."""
        from .vocabularies import check_all

        check_all()
