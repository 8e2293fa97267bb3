"""The search app: an index kept in step with items, claims, incidents, actors and places."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Connects the signals that keep the search index current."""

    name = "vestige.search"
    label = "search"
    verbose_name = "Search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the index to saves and deletes of the records it covers."""
        from . import signals

        signals.connect()
