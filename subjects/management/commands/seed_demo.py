from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

from subjects import demo


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (idempotent). Runs `seed()` of every installed app's "
        "`demo` module in INSTALLED_APPS order, so each app seeds its own part without this "
        "command knowing the apps above it."
    )

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            module = import_module(module_name)
            if hasattr(module, "seed"):
                module.seed()
        self.stdout.write(demo.login_table())
