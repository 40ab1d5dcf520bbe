from django.core.management.base import BaseCommand

from subjects import demo


class Command(BaseCommand):
    help = "Create or refresh the demo data (idempotent): one account per role, and more."

    def handle(self, *args, **options):
        demo.seed_users()
        self.stdout.write(demo.login_table())
