"""Deadlines that live in the database, and the scan that reminds of them (R18, R19).

    scan(now=timezone.now())   # run hourly by beat, or `manage.py scan_obligations --at …`

A reminder is a row unique per (obligation, kind). The scan claims due obligations with
SELECT … FOR UPDATE SKIP LOCKED and, in the same transaction, inserts the reminder rows and the
notifications: two concurrent scans, a scan repeated after a crash, or a scan run late after
Redis was down give exactly one reminder of each kind. Only the latest stage reached is sent
(a scan after a week's outage sends "overdue", not the three it missed).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reviews.models import Review
from reviews.workflow import Phase
from subjects.models import Notification, User
from subjects.roles import Role

from .models import Document, DocumentKind, DocumentStatus, Obligation, ObligationKind, Reminder
from .wording import date_cn

BATCH = 500


def stage(due_on: date, today: date) -> str | None:
    """The reminder kind an obligation has reached today, or None before the first."""
    days = (due_on - today).days
    if days < 0:
        return f"overdue-{(-days) // 7}" if -days >= 7 else "due"
    if days == 0:
        return "due"
    reached = [d for d in settings.PINGYI_REMINDER_DAYS_BEFORE if days <= d]
    return f"before-{min(reached)}" if reached else None


def horizon(today: date) -> date:
    return today + timedelta(days=max(settings.PINGYI_REMINDER_DAYS_BEFORE, default=0))


def _message(obligation: Obligation, kind: str, today: date) -> tuple[str, str]:
    label = obligation.get_kind_display()
    due = date_cn(obligation.due_on)
    days = (obligation.due_on - today).days
    if days > 0:
        title = f"{label}还有 {days} 天到期"
    elif days == 0:
        title = f"{label}今天到期"
    else:
        title = f"{label}已逾期 {-days} 天"
    return title, f"{obligation.review.title}：{label}，截止日期{due}。"


def _recipients(obligation: Obligation, office: list) -> list:
    """Who is reminded: the office, which owes the party report (issue 7 adds officials)."""
    return office


def _url(obligation: Obligation) -> str:
    return reverse("rectification:review_documents", args=[obligation.review_id])


@dataclass
class ScanResult:
    due: int = 0
    notified: int = 0  # reminder rows made by this scan


def scan(*, now: datetime | None = None) -> ScanResult:
    now = now or timezone.now()
    today = timezone.localdate(now)
    sync_obligations(today)
    result = ScanResult()
    office = list(User.objects.filter(role_grants__role=Role.OFFICE, is_active=True).distinct())
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Obligation.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(fulfilled_at__isnull=True, due_on__lte=horizon(today), pk__gt=last_id)
                .exclude(review__phase=Phase.ARCHIVED)
                .select_related("review")
                .order_by("pk")[:BATCH]
            )
            if not batch:
                break
            last_id = batch[-1].pk
            sent = set(
                Reminder.objects.filter(obligation__in=batch).values_list("obligation_id", "kind")
            )
            reminders, notifications = [], []
            for obligation in batch:
                kind = stage(obligation.due_on, today)
                if kind is None:
                    continue
                result.due += 1
                if (obligation.pk, kind) in sent:
                    continue
                reminders.append(Reminder(obligation=obligation, kind=kind))
                title, body = _message(obligation, kind, today)
                notifications += [
                    Notification(recipient=user, title=title, body=body, url=_url(obligation))
                    for user in _recipients(obligation, office)
                ]
            # The rows are locked, so no other scan inserts these reminders meanwhile; if one
            # ever did, the unique constraint fails this batch whole (notifications included)
            # and the next scan finds the reminder already sent: never doubled.
            Reminder.objects.bulk_create(reminders)
            Notification.objects.bulk_create(notifications)
            result.notified += len(reminders)
            _mail(notifications)
    return result


def _mail(notifications: list) -> None:
    if not settings.EMAIL_HOST:
        return
    from subjects.tasks import send_notification_email

    ids = [n.pk for n in notifications if n.pk and n.recipient.email]
    transaction.on_commit(lambda: [send_notification_email.delay(pk) for pk in ids])


def party_report_due(review: Review) -> date | None:
    first = review.meetings.order_by("starts_at").values_list("starts_at", flat=True).first()
    if first is None:
        return None
    rules = getattr(review, "rules", None)
    days = rules.party_report_days if rules else 7
    return timezone.localdate(first) + timedelta(days=days)


def sync_obligations(today: date) -> int:
    """Open the party-report obligation of every review whose meeting has been held: due
    `party_report_days` after the first meeting day. Idempotent (unique per review)."""
    made = 0
    reviews = (
        Review.objects.filter(
            phase__in=(Phase.MEETING, Phase.RECTIFY), meetings__starts_at__date__lte=today
        )
        .exclude(obligations__kind=ObligationKind.PARTY_REPORT)
        .distinct()
    )
    for review in reviews.select_related("rules"):
        due = party_report_due(review)
        if due is None:
            continue
        # The report may have been issued before the first scan after the meeting: then the
        # obligation opens already fulfilled, or the office would be reminded of done work.
        issued = (
            Document.objects.filter(
                review=review, kind=DocumentKind.PARTY_REPORT, status=DocumentStatus.ISSUED
            )
            .order_by("issued_at", "pk")
            .first()
        )
        _, created = Obligation.objects.get_or_create(
            review=review,
            kind=ObligationKind.PARTY_REPORT,
            subject=None,
            defaults={
                "due_on": due,
                "fulfilled_at": issued.issued_at if issued else None,
                "document": issued,
            },
        )
        made += created
    return made


def fulfil(*, review: Review, kind: str, document=None) -> None:
    Obligation.objects.filter(review=review, kind=kind, fulfilled_at__isnull=True).update(
        fulfilled_at=timezone.now(), document=document
    )
