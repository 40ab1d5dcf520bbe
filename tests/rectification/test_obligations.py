"""Deadlines in the database and the scan that reminds of them (rectification/obligations.py,
RELIABILITY.md R18): the stages, the party-report obligation, fulfilment by issuing the report,
exactly one notification per recipient and stage however often or concurrently the scan runs,
and the `scan_obligations` command."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from rectification import documents, drafts
from rectification.models import DocumentKind, Obligation, ObligationKind, Reminder
from rectification.obligations import scan, stage, sync_obligations
from reviews import meetings
from reviews.models import ReviewRules
from reviews.workflow import Phase
from subjects.models import Notification
from subjects.roles import Role
from tests.factories import ReviewFactory, SubjectFactory, UserFactory
from tests.reviews.test_secret_ballot import run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")
MEETING_DAY = date(2025, 9, 18)
DUE = date(2025, 9, 23)  # the meeting day + party_report_days (set to 5 below)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


# --- stage(): which reminder an obligation has reached ----------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 9, 1), None),  # more than 7 days ahead
        (date(2025, 9, 15), None),  # 8 days ahead
        (date(2025, 9, 16), "before-7"),
        (date(2025, 9, 20), "before-7"),  # still the latest stage reached
        (date(2025, 9, 22), "before-1"),
        (date(2025, 9, 23), "due"),
        (date(2025, 9, 29), "due"),  # six days late: nothing new yet
        (date(2025, 9, 30), "overdue-1"),  # a week late
        (date(2025, 10, 6), "overdue-1"),
        (date(2025, 10, 7), "overdue-2"),  # a fortnight late
        (date(2025, 12, 23), "overdue-13"),
    ],
)
def test_stage_is_the_latest_reached(settings, today, expected):
    settings.PINGYI_REMINDER_DAYS_BEFORE = (7, 1)
    assert stage(DUE, today) == expected


# --- the party-report obligation ----------------------------------------------------------------


@pytest.fixture
def review(office_clerk):
    """A review in 评议会议 whose meeting was held on MEETING_DAY; the party report is due
    five days later under its rules."""
    review = ReviewFactory(created_by=office_clerk, title="2025年度述职评议")
    ReviewRules.objects.filter(review=review).update(party_report_days=5)
    review.phase = Phase.MEETING
    review.save(update_fields=["phase"])
    SubjectFactory(review=review, form="onsite")
    meetings.create_meeting(
        actor=office_clerk,
        review=review,
        session_name="县十八届人大常委会第二十六次会议",
        starts_at=at(MEETING_DAY),
        place="常委会会议室",
    )
    return review


@pytest.fixture
def office_team(office_clerk):
    """Who is reminded: the active office users, not the inactive one nor other roles."""
    second = UserFactory(username="office2", roles=[Role.OFFICE])
    UserFactory(username="office_gone", roles=[Role.OFFICE], is_active=False)
    UserFactory(username="chair_only", roles=[Role.COUNCIL])
    return [office_clerk, second]


def reminders(review):
    return sorted(Reminder.objects.filter(obligation__review=review).values_list("kind", flat=True))


def notified(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


@pytest.mark.django_db
def test_party_report_obligation_opens_once_due_after_the_meeting(review):
    assert sync_obligations(MEETING_DAY - timedelta(days=1)) == 0  # not held yet
    assert not Obligation.objects.exists()
    assert sync_obligations(MEETING_DAY) == 1
    (obligation,) = Obligation.objects.filter(review=review)
    assert obligation.kind == ObligationKind.PARTY_REPORT and obligation.subject is None
    assert obligation.due_on == DUE  # meeting day + the review's party_report_days
    assert obligation.fulfilled_at is None
    assert sync_obligations(MEETING_DAY + timedelta(days=3)) == 0
    assert Obligation.objects.filter(review=review).count() == 1


@pytest.mark.django_db
def test_a_review_not_yet_at_its_meeting_owes_no_report(office_clerk):
    review = ReviewFactory(created_by=office_clerk)
    review.phase = Phase.INVESTIGATE
    review.save(update_fields=["phase"])
    meetings.create_meeting(
        actor=office_clerk, review=review, session_name="会议", starts_at=at(MEETING_DAY), place="x"
    )
    assert sync_obligations(MEETING_DAY + timedelta(days=30)) == 0


@pytest.mark.django_db
def test_issuing_the_party_report_fulfils_the_obligation(review, office_clerk, office_team):
    sync_obligations(MEETING_DAY)
    draft = drafts.create_draft(actor=office_clerk, review=review, kind=DocumentKind.PARTY_REPORT)
    document = documents.issue_document(actor=office_clerk, document=draft)
    obligation = Obligation.objects.get(review=review)
    assert obligation.fulfilled_at is not None and obligation.document_id == document.pk
    # Nothing more is owed: no reminder at the due date nor later.
    assert scan(now=at(DUE)).notified == 0
    assert scan(now=at(DUE + timedelta(days=14))).notified == 0
    assert not Reminder.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
def test_a_report_issued_before_the_first_scan_opens_the_obligation_fulfilled(
    review, office_clerk, office_team
):
    # Issued on the meeting day, before beat ever ran: the scan must not remind of it.
    draft = drafts.create_draft(actor=office_clerk, review=review, kind=DocumentKind.PARTY_REPORT)
    document = documents.issue_document(actor=office_clerk, document=draft)
    assert scan(now=at(DUE)).notified == 0
    obligation = Obligation.objects.get(review=review)
    assert obligation.fulfilled_at is not None and obligation.document_id == document.pk
    assert not Notification.objects.exists()


# --- the scan -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scan_sends_each_stage_once_to_every_active_office_user(review, office_team):
    clerk, second = office_team
    result = scan(now=at(DUE - timedelta(days=5)))  # opens the obligation, 5 days ahead
    assert (result.due, result.notified) == (1, 1)
    assert reminders(review) == ["before-7"]
    assert notified(clerk) == notified(second) == ["向党委报告评议情况还有 5 天到期"]
    assert Notification.objects.count() == 2  # not the inactive office user, not the chair
    (note,) = Notification.objects.filter(recipient=clerk)
    assert review.title in note.body and "2025年9月23日" in note.body and note.url

    # The same time again, or later the same stage: nothing more.
    assert scan(now=at(DUE - timedelta(days=5))).notified == 0
    assert scan(now=at(DUE - timedelta(days=3), 15)).notified == 0
    assert Notification.objects.count() == 2

    assert scan(now=at(DUE - timedelta(days=1))).notified == 1
    assert scan(now=at(DUE)).notified == 1
    assert scan(now=at(DUE, 18)).notified == 0
    assert reminders(review) == ["before-1", "before-7", "due"]
    assert notified(clerk)[0] == "向党委报告评议情况今天到期"

    # Six days late nothing new; a week late the first overdue reminder; then weekly.
    assert scan(now=at(DUE + timedelta(days=6))).notified == 0
    assert scan(now=at(DUE + timedelta(days=7))).notified == 1
    assert notified(second)[0] == "向党委报告评议情况已逾期 7 天"
    assert scan(now=at(DUE + timedelta(days=7), 20)).notified == 0
    assert scan(now=at(DUE + timedelta(days=14))).notified == 1
    assert reminders(review) == ["before-1", "before-7", "due", "overdue-1", "overdue-2"]
    assert len(notified(clerk)) == len(notified(second)) == 5


@pytest.mark.django_db
def test_a_late_scan_sends_only_the_latest_stage(review, office_team):
    # Beat was down from before the meeting until three days after the due date.
    result = scan(now=at(DUE + timedelta(days=3)))
    assert result.notified == 1
    assert reminders(review) == ["due"]
    assert notified(office_team[0]) == ["向党委报告评议情况已逾期 3 天"]


@pytest.mark.django_db
def test_an_archived_review_is_not_reminded(review, office_team):
    sync_obligations(MEETING_DAY)
    review.phase = Phase.ARCHIVED
    review.save(update_fields=["phase"])
    assert scan(now=at(DUE)).notified == 0
    assert not Notification.objects.exists()


# --- R18: concurrent scans -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_at_the_due_time_notify_once(requires_postgres, review, office_team):
    # Nothing prepared: the scans race to open the obligation as well as to remind of it.
    jobs = [lambda: scan(now=at(DUE))] * 4
    outcomes, errors = run_at_once(jobs)
    assert not errors, errors
    assert outcomes == ["ok"] * 4
    assert Obligation.objects.filter(review=review).count() == 1
    assert reminders(review) == ["due"]
    for user in office_team:
        assert notified(user) == ["向党委报告评议情况今天到期"]
    assert Notification.objects.count() == len(office_team)

    # And again, concurrently, at the next stage: one more each.
    outcomes, errors = run_at_once([lambda: scan(now=at(DUE + timedelta(days=7)))] * 4)
    assert not errors, errors
    assert reminders(review) == ["due", "overdue-1"]
    assert all(len(notified(user)) == 2 for user in office_team)


# --- the management command ----------------------------------------------------------------------


@pytest.mark.django_db
def test_command_scans_as_of_the_given_time(review, office_team):
    out = StringIO()
    call_command("scan_obligations", at=f"{DUE:%Y-%m-%d} 09:00", stdout=out)
    assert "到期事项 1 项，本次发出提醒 1 项" in out.getvalue()
    assert reminders(review) == ["due"]
    out = StringIO()
    call_command("scan_obligations", at=f"{DUE:%Y-%m-%d}", stdout=out)  # a date alone works too
    assert "本次发出提醒 0 项" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["2025-13-01 09:00", "明天", "2025/09/23 09:00", "2025-09-23 25:00"]
)
def test_command_rejects_a_malformed_time_in_chinese(review, text):
    with pytest.raises(CommandError, match="无法识别的时间") as raised:
        call_command("scan_obligations", at=text)
    assert "YYYY-MM-DD" in str(raised.value)
    assert not Obligation.objects.exists()  # nothing scanned
