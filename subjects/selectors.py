from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import AuditEvent, Notification, Official, OfficialStatus, Unit, category_rank


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


# --- The roster (名册) -----------------------------------------------------------------------


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def officials(
    *,
    q: str = "",
    unit=None,
    category: str = "",
    status: str = "",
    term: str = "",
    tenure_years: int | None = None,
    today: date | None = None,
):
    """Officials matching the roster filters, with their unit (one query per page)."""
    rows = Official.objects.select_related("unit")
    if q:
        rows = rows.filter(name__icontains=q.strip())
    if unit:
        rows = rows.filter(unit=unit)
    if category:
        rows = rows.filter(unit__category=category)
    if status:
        rows = rows.filter(status=status)
    if term:
        rows = rows.filter(term=term)
    if tenure_years is not None:
        cutoff = years_before(today or timezone.localdate(), tenure_years)
        rows = rows.filter(in_post_since__lte=cutoff)
    return rows.order_by(category_rank("unit__"), "unit__name", "name", "pk")


def official_terms() -> list[str]:
    """The terms (届次) that occur in the roster, for the filter's choices."""
    return list(
        Official.objects.exclude(term="").order_by("term").values_list("term", flat=True).distinct()
    )


def official_with_history(pk: int) -> Official:
    """One official with unit and post history (two queries); 404 when it does not exist."""
    return get_object_or_404(
        Official.objects.select_related("unit", "user").prefetch_related("post_history"),
        pk=pk,
    )


def units_with_counts():
    """Every unit with the number of its serving officials (one query)."""
    return Unit.objects.annotate(
        serving_count=Count("officials", filter=Q(officials__status=OfficialStatus.SERVING))
    ).order_by(category_rank(), "name")


def notifications_of(user):
    """The user's own notifications, newest first; nobody else's ever."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
