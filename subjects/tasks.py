from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from .models import ServiceHeartbeat


@shared_task(ignore_result=True)
def heartbeat():
    """Sent by beat every minute and run by a worker: proves both are alive."""
    ServiceHeartbeat.objects.update_or_create(
        name="celery", defaults={"last_seen": timezone.now(), "detail": "beat → worker"}
    )


@shared_task(ignore_result=True)
def clear_expired_sessions():
    call_command("clearsessions")
