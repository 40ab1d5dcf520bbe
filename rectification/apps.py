from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = "整改"

    def ready(self):
        # Connects the rectification rounds to the published polls (cases.poll_published).
        from . import cases  # noqa: F401
