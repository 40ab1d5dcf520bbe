from datetime import datetime, time, timedelta

from django.utils import timezone

from .models import AuditEvent


def audit_events(*, start=None, end=None, action="", actor="", q=""):
    """Audit events matching the office's filters, newest first (one query per page)."""
    events = AuditEvent.objects.all()
    tz = timezone.get_current_timezone()
    if start:
        events = events.filter(occurred_at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end:
        next_day = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
        events = events.filter(occurred_at__lt=next_day)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_name__icontains=actor)
    if q:
        events = events.filter(summary__icontains=q)
    return events.order_by("-occurred_at", "-id")


def recent_decisions(limit: int = 8):
    """The latest decisions for the office's home page; logins and denials are left out."""
    return list(
        AuditEvent.objects.exclude(action__startswith="auth.")
        .exclude(action__startswith="security.")
        .order_by("-occurred_at", "-id")[:limit]
    )
