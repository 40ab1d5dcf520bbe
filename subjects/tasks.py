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


@shared_task(
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def send_notification_email(notification_id: int):
    """Email one notification. Safe to run twice: `emailed_at` is claimed with a conditional
    UPDATE before sending, so a redelivered task sends nothing more."""
    from django.conf import settings
    from django.core.mail import send_mail

    from .models import Notification

    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    body = notification.body
    if notification.url:
        body += f"\n\n{settings.PINGYI_SITE_URL.rstrip('/')}{notification.url}"
    try:
        send_mail(
            subject=f"【评议】{notification.title}",
            message=body,
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except OSError:
        # Give the claim back so the retry can send it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
