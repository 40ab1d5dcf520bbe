"""In-app notifications, with an email beside them when the user has an address and the
server has a mail host. Callers are services, inside their transaction."""

from django.conf import settings
from django.db import transaction

from .models import Notification


def notify(*, recipient, title: str, body: str = "", url: str = "") -> Notification:
    notification = Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, url=url[:300]
    )
    if recipient.email and settings.EMAIL_HOST:
        from .tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
