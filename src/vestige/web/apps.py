from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vestige.web"
    label = "web"
    verbose_name = "Web"
