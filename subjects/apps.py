from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "subjects"
    verbose_name = "评议对象与用户"

    def ready(self):
        from . import (
            services,  # noqa: F401  (registers the roster's audit action labels)
            signals,  # noqa: F401  (security events of django.contrib.auth and axes)
        )
