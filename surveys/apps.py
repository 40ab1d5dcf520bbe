import importlib

from django.apps import AppConfig

# Service modules register their audit action labels when imported.
SERVICE_MODULES = (
    "builder",
    "distribution",
    "investigation",
    "findings",
    "duty_reports",
)


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "问卷与调查"

    def ready(self):
        for name in SERVICE_MODULES:
            importlib.import_module(f"{self.name}.{name}")
