"""Deadlines that live in the database, and the scan that reminds of them (R18, R19).

    scan(now=timezone.now())   # run hourly by beat, or `manage.py scan_obligations --at …`

A reminder is a row unique per (obligation, kind). The scan claims due obligations with
SELECT … FOR UPDATE SKIP LOCKED and, in the same transaction, inserts the reminder rows and the
notifications: two concurrent scans, a scan repeated after a crash, or a scan run late after
Redis was down give exactly one reminder of each kind. Only the latest stage reached is sent
(a scan after a week's outage sends "overdue", not the three it missed). The kind names the
due date it counts from ("due@2026-03-02"), so a deadline moved by `cases.move_deadline` is
reminded of afresh.

Plans and reports (obligations of a rectification round) are reminded to the official's account
and the unit's contacts (`cases.contacts_of`); the party report to the office. Obligations of a
closed case or an archived review are left alone. Once a day, from PINGYI_DIGEST_HOUR, the
office gets one digest of everything overdue, made in the transaction that inserts that day's
unique DigestRun row: sent once however many scans run.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from reviews.models import Review
from reviews.workflow import Phase
from subjects.models import Notification, User
from subjects.roles import Role

from .models import (
    CaseStatus,
    DigestRun,
    Document,
    DocumentKind,
    DocumentStatus,
    Obligation,
    ObligationKind,
    Reminder,
)
from .wording import date_cn

BATCH = 500
DIGEST_LINES = 20  # obligations listed by name in the office's daily digest
DIGEST_TITLE = "逾期事项汇总"

# Short names in reminders to officials and in the digest.
SHORT_LABELS = {ObligationKind.PLAN: "整改方案", ObligationKind.REPORT: "整改报告"}


def stage(due_on: date, today: date) -> str | None:
    """The reminder stage an obligation has reached today, or None before the first."""
    days = (due_on - today).days
    if days < 0:
        return f"overdue-{(-days) // 7}" if -days >= 7 else "due"
    if days == 0:
        return "due"
    reached = [d for d in settings.PINGYI_REMINDER_DAYS_BEFORE if days <= d]
    return f"before-{min(reached)}" if reached else None


def reminder_kind(due_on: date, today: date) -> str | None:
    """The Reminder.kind of the stage reached, e.g. "before-7@2026-12-01": tied to the due
    date it counts from, so a deadline moved by a decision is reminded of afresh."""
    reached = stage(due_on, today)
    return None if reached is None else f"{reached}@{due_on.isoformat()}"


def horizon(today: date) -> date:
    return today + timedelta(days=max(settings.PINGYI_REMINDER_DAYS_BEFORE, default=0))


def label_of(obligation: Obligation) -> str:
    label = SHORT_LABELS.get(obligation.kind)
    if label is None:
        return obligation.get_kind_display()
    # The plan belongs to round 1; a report of a 继续整改 round is named by its round.
    number = obligation.round.number if obligation.round_id else 1
    if obligation.kind == ObligationKind.REPORT and number > 1:
        return f"第{number}轮{label}"
    return label


def _message(obligation: Obligation, today: date) -> tuple[str, str]:
    label = label_of(obligation)
    due = date_cn(obligation.due_on)
    days = (obligation.due_on - today).days
    if days > 0:
        title = f"{label}还有 {days} 天到期"
    elif days == 0:
        title = f"{label}今天到期"
    else:
        title = f"{label}已逾期 {-days} 天"
    if obligation.subject_id:
        return (
            title,
            f"{obligation.review.title}：{obligation.subject.display_name}{label}，截止日期{due}。",
        )
    return title, f"{obligation.review.title}：{label}，截止日期{due}。"


def _is_rectification(obligation: Obligation) -> bool:
    return obligation.kind in SHORT_LABELS and obligation.subject_id is not None


def _recipients(obligation: Obligation, office: list) -> list:
    """Who is reminded: the official's account and the unit's contacts owe the plan and the
    report; the office owes the party report (and sees every delay in its daily digest)."""
    if _is_rectification(obligation):
        from .cases import contacts_of

        return contacts_of(obligation.subject)
    return office


_PK = 987654321  # a placeholder pk: reverse() once per URL name and scan, not once per row


class _Urls:
    """URL patterns reversed once per scan. A name not (yet) wired in this deployment gives
    None and the caller falls back to the nearest page."""

    def __init__(self):
        self._templates: dict[str, str | None] = {}

    def get(self, name: str, pk: int) -> str | None:
        if name not in self._templates:
            try:
                self._templates[name] = reverse(name, args=[_PK]).replace(str(_PK), "{pk}")
            except NoReverseMatch:
                self._templates[name] = None
        template = self._templates[name]
        return None if template is None else template.format(pk=pk)


def _url(obligation: Obligation, urls: _Urls) -> str:
    if _is_rectification(obligation) and obligation.round_id:
        url = urls.get("rectification:official_case", obligation.round.case_id)
        if url:
            return url
    return urls.get("rectification:review_documents", obligation.review_id)


def _office() -> list:
    return list(User.objects.filter(role_grants__role=Role.OFFICE, is_active=True).distinct())


def _open(queryset):
    """Obligations still owed and still worth reminding of: not of an archived review nor of
    a closed case."""
    return (
        queryset.filter(fulfilled_at__isnull=True)
        .exclude(review__phase=Phase.ARCHIVED)
        .exclude(review__archive__isnull=False)
        .exclude(round__case__status=CaseStatus.CLOSED)
    )


# What the scan reads of each due obligation (and contacts_of of its subject): model instances
# are the scan's main cost, so only these columns are loaded.
_USER_FIELDS = ("id", "is_active", "email")
_SCAN_FIELDS = (
    "kind",
    "due_on",
    "review_id",
    "subject_id",
    "round_id",
    "review__title",
    "subject__display_name",
    "subject__official_id",
    "subject__unit_id",
    "subject__official__user_id",
    *(f"subject__official__user__{name}" for name in _USER_FIELDS),
    "subject__unit__id",
    "round__number",
    "round__case_id",
)


@dataclass
class ScanResult:
    due: int = 0
    notified: int = 0  # reminder rows made by this scan
    digest: int | None = None  # overdue obligations in the digest this scan sent, if it did


def scan(*, now: datetime | None = None) -> ScanResult:
    now = now or timezone.now()
    today = timezone.localdate(now)
    sync_obligations(today)
    result = ScanResult()
    office = _office()
    urls = _Urls()
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                _open(Obligation.objects.select_for_update(skip_locked=True, of=("self",)))
                .filter(due_on__lte=horizon(today), pk__gt=last_id)
                .select_related("review", "subject__official__user", "subject__unit", "round")
                .only(*_SCAN_FIELDS)
                .prefetch_related(
                    Prefetch("subject__unit__contacts", queryset=User.objects.only(*_USER_FIELDS))
                )
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
                kind = reminder_kind(obligation.due_on, today)
                if kind is None:
                    continue
                result.due += 1
                if (obligation.pk, kind) in sent:
                    continue
                reminders.append(Reminder(obligation=obligation, kind=kind))
                title, body = _message(obligation, today)
                url = _url(obligation, urls)
                notifications += [
                    Notification(recipient=user, title=title, body=body, url=url)
                    for user in _recipients(obligation, office)
                ]
            # The rows are locked, so no other scan inserts these reminders meanwhile; if one
            # ever did, the unique constraint fails this batch whole (notifications included)
            # and the next scan finds the reminder already sent: never doubled.
            Reminder.objects.bulk_create(reminders)
            Notification.objects.bulk_create(notifications)
            result.notified += len(reminders)
            _mail(notifications)
    result.digest = digest(now=now, office=office)
    return result


def digest(*, now: datetime, office: list | None = None) -> int | None:
    """The office's daily digest of overdue obligations: sent by the first scan at or after
    PINGYI_DIGEST_HOUR (local time) each day, once. The DigestRun row of the day is inserted
    in the transaction that makes the notifications: a concurrent scan's insert waits for it
    and fails, so that scan sends nothing. A day with nothing overdue still gets its row.
    Returns the number of overdue obligations digested, or None when this scan sent none."""
    local = timezone.localtime(now)
    today = local.date()
    if local.hour < settings.PINGYI_DIGEST_HOUR:
        return None
    if DigestRun.objects.filter(day=today).exists():
        return None
    overdue = _open(Obligation.objects.filter(due_on__lt=today))
    count = overdue.count()
    office = _office() if office is None else office
    notifications = []
    if count:
        first = list(
            overdue.select_related("review", "subject", "round")
            .only(*_DIGEST_FIELDS)
            .order_by("due_on", "pk")[:DIGEST_LINES]
        )
        # The link goes to the ledger of the review with the most delays (usually the only one).
        busiest = (
            overdue.values("review_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "review_id")
            .values_list("review_id", flat=True)
            .first()
        )
        notifications = _digest_notifications(first, count, busiest, today, office)
    try:
        with transaction.atomic():
            DigestRun.objects.create(day=today, overdue=count)
            Notification.objects.bulk_create(notifications)
            _mail(notifications)
    except IntegrityError:
        return None  # another scan sent today's digest
    return count


_DIGEST_FIELDS = (
    "kind",
    "due_on",
    "review_id",
    "subject_id",
    "round_id",
    "review__title",
    "subject__display_name",
    "round__number",
)


def _digest_notifications(first: list, count: int, review_id, today: date, office: list) -> list:
    lines = []
    for obligation in first:
        who = obligation.subject.display_name if obligation.subject_id else obligation.review.title
        days = (today - obligation.due_on).days
        lines.append(f"{who}：{label_of(obligation)} 已逾期 {days} 天")
    if count > len(first):
        lines.append(f"……另有 {count - len(first)} 项，详见整改台账。")
    urls = _Urls()
    url = urls.get("rectification:ledger", review_id)
    url = url or urls.get("rectification:review_documents", review_id)
    title = f"{DIGEST_TITLE}：{count} 项事项已逾期"
    body = "\n".join(lines)
    return [Notification(recipient=user, title=title, body=body, url=url) for user in office]


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
