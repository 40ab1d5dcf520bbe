"""Deadlines in the database and the scan that reminds of them (rectification/obligations.py,
RELIABILITY.md R18): the stages, the party-report obligation, fulfilment by issuing the report,
exactly one notification per recipient and stage however often or concurrently the scan runs,
and the `scan_obligations` command."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectification import documents, drafts
from rectification.models import (
    CaseStatus,
    DigestRun,
    Document,
    DocumentKind,
    Obligation,
    ObligationKind,
    Opinion,
    RectificationCase,
    RectificationRound,
    Reminder,
)
from rectification.obligations import (
    DIGEST_TITLE,
    digest,
    reminder_kind,
    scan,
    stage,
    sync_obligations,
)
from reviews import meetings
from reviews.models import Review, ReviewRules, Subject
from reviews.workflow import Phase
from subjects.models import Notification
from subjects.roles import Role
from tests.factories import (
    OfficialFactory,
    ReviewFactory,
    SubjectFactory,
    UnitFactory,
    UserFactory,
)
from tests.reviews.test_secret_ballot import run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")
MEETING_DAY = date(2025, 9, 18)
DUE = date(2025, 9, 23)  # the meeting day + party_report_days (set to 5 below)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


# --- stage(): which reminder an obligation has reached -------------------------------------------


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


# --- the party-report obligation -----------------------------------------------------------------


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


def due(*stages: str, on: date = DUE) -> list[str]:
    """Reminder kinds name the due date they count from."""
    return [f"{s}@{on.isoformat()}" for s in stages]


def notified(user):
    """The reminders a user got (newest first), not the office's daily digests."""
    notes = Notification.objects.filter(recipient=user).exclude(title__startswith=DIGEST_TITLE)
    return list(notes.values_list("title", flat=True))


def digests(user):
    notes = Notification.objects.filter(recipient=user, title__startswith=DIGEST_TITLE)
    return list(notes.values_list("title", flat=True))


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


# --- the scan ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scan_sends_each_stage_once_to_every_active_office_user(review, office_team):
    clerk, second = office_team
    result = scan(now=at(DUE - timedelta(days=5)))  # opens the obligation, 5 days ahead
    assert (result.due, result.notified) == (1, 1)
    assert reminders(review) == due("before-7")
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
    assert reminders(review) == due("before-1", "before-7", "due")
    assert notified(clerk)[0] == "向党委报告评议情况今天到期"

    # Six days late nothing new; a week late the first overdue reminder; then weekly.
    assert scan(now=at(DUE + timedelta(days=6))).notified == 0
    assert scan(now=at(DUE + timedelta(days=7))).notified == 1
    assert notified(second)[0] == "向党委报告评议情况已逾期 7 天"
    assert scan(now=at(DUE + timedelta(days=7), 20)).notified == 0
    assert scan(now=at(DUE + timedelta(days=14))).notified == 1
    assert reminders(review) == due("before-1", "before-7", "due", "overdue-1", "overdue-2")
    assert len(notified(clerk)) == len(notified(second)) == 5


@pytest.mark.django_db
def test_a_late_scan_sends_only_the_latest_stage(review, office_team):
    # Beat was down from before the meeting until three days after the due date.
    result = scan(now=at(DUE + timedelta(days=3)))
    assert result.notified == 1
    assert reminders(review) == due("due")
    assert notified(office_team[0]) == ["向党委报告评议情况已逾期 3 天"]


@pytest.mark.django_db
def test_an_archived_review_is_not_reminded(review, office_team):
    sync_obligations(MEETING_DAY)
    review.phase = Phase.ARCHIVED
    review.save(update_fields=["phase"])
    assert scan(now=at(DUE)).notified == 0
    assert not Notification.objects.exists()


# --- reminder kinds and moved deadlines ----------------------------------------------------------


def test_reminder_kind_names_the_due_date(settings):
    settings.PINGYI_REMINDER_DAYS_BEFORE = (7, 1)
    assert reminder_kind(DUE, date(2025, 9, 16)) == "before-7@2025-09-23"
    assert reminder_kind(DUE, date(2025, 9, 30)) == "overdue-1@2025-09-23"
    assert reminder_kind(DUE, date(2025, 9, 1)) is None


@pytest.mark.django_db
def test_a_moved_deadline_is_reminded_afresh(review, office_team):
    assert scan(now=at(DUE - timedelta(days=1))).notified == 1  # before-1
    # The council grants a fortnight more: the stages count again from the new date.
    later = DUE + timedelta(days=14)
    Obligation.objects.filter(review=review).update(due_on=later)
    assert scan(now=at(DUE)).notified == 0  # 14 days ahead: nothing yet
    assert scan(now=at(later - timedelta(days=7))).notified == 1
    assert scan(now=at(later - timedelta(days=7), 15)).notified == 0
    assert reminders(review) == due("before-1") + due("before-7", on=later)
    assert notified(office_team[0]) == [
        "向党委报告评议情况还有 7 天到期",
        "向党委报告评议情况还有 1 天到期",
    ]


# --- plans and reports: officials and unit contacts ----------------------------------------------

PLAN_DUE = date(2025, 10, 20)
REPORT_DUE = date(2025, 12, 19)


def make_case(review, subject, *, plan_due=PLAN_DUE, report_due=REPORT_DUE, office=None):
    """A rectification case of `subject` in round 1 with its plan and report obligations
    (the rows open_case makes, without the opinion's issue and receipt)."""
    office = office or UserFactory(username=f"case-office-{subject.pk}")
    organ = documents.default_organ()
    opinion = Opinion.objects.create(
        review=review,
        subject=subject,
        title=f"关于{subject.display_name}的评议意见",
        updated_by=office,
    )
    document = Document.objects.create(
        review=review,
        kind=DocumentKind.OPINION,
        subject=subject,
        opinion=opinion,
        organ=organ,
        title=opinion.title,
        created_by=office,
    )
    case = RectificationCase.objects.create(
        review=review,
        subject=subject,
        opinion=opinion,
        document=document,
        received_on=plan_due - timedelta(days=30),
    )
    round_ = RectificationRound.objects.create(case=case, number=1, started_on=case.received_on)
    Obligation.objects.bulk_create(
        Obligation(review=review, subject=subject, round=round_, kind=kind, due_on=due_on)
        for kind, due_on in ((ObligationKind.PLAN, plan_due), (ObligationKind.REPORT, report_due))
    )
    return case


@dataclass
class RectWorld:
    review: object
    official_case: object  # 述职评议 of an official whose account is official_a
    unit_case: object  # 工作评议 of a unit with two active contacts (and one gone)
    official: object
    contacts: list
    office: list


@pytest.fixture
def rect(office_clerk, office_team, official_a):
    review = ReviewFactory(created_by=office_clerk, title="2025年度述职评议")
    Review.objects.filter(pk=review.pk).update(phase=Phase.RECTIFY)
    review.refresh_from_db()
    official = OfficialFactory(user=official_a, name="赵建华")
    person = SubjectFactory(review=review, official=official)
    unit = UnitFactory(name="县市场监管局")
    contacts = [
        UserFactory(username="contact1", roles=[Role.OFFICIAL]),
        UserFactory(username="contact2", roles=[Role.OFFICIAL]),
    ]
    gone = UserFactory(username="contact_gone", roles=[Role.OFFICIAL], is_active=False)
    unit.contacts.set([*contacts, gone])
    body = SubjectFactory(review=review, official=None, unit=unit, display_name=unit.name)
    return RectWorld(
        review=review,
        official_case=make_case(review, person, office=office_clerk),
        unit_case=make_case(review, body, office=office_clerk),
        official=official_a,
        contacts=contacts,
        office=office_team,
    )


@pytest.mark.django_db
def test_plan_reminders_reach_the_official_and_the_unit_contacts(rect):
    result = scan(now=at(PLAN_DUE - timedelta(days=7)))
    assert (result.due, result.notified) == (2, 2)  # the two plans; the reports are far off
    assert notified(rect.official) == ["整改方案还有 7 天到期"]
    for contact in rect.contacts:
        assert notified(contact) == ["整改方案还有 7 天到期"]
    assert Notification.objects.filter(recipient__username="contact_gone").count() == 0
    for user in rect.office:  # the office owes no plan: its digest tells it of delays
        assert notified(user) == []
    (note,) = Notification.objects.filter(recipient=rect.official)
    assert "赵建华整改方案" in note.body and "2025年10月20日" in note.body and note.url
    (unit_note,) = Notification.objects.filter(recipient=rect.contacts[0])
    assert "县市场监管局整改方案" in unit_note.body
    assert Reminder.objects.filter(kind=f"before-7@{PLAN_DUE.isoformat()}").count() == 2
    assert scan(now=at(PLAN_DUE - timedelta(days=7), 18)).notified == 0

    # Each stage once; the report of a later round is named by its round.
    assert scan(now=at(PLAN_DUE)).notified == 2
    assert notified(rect.official)[0] == "整改方案今天到期"
    RectificationRound.objects.filter(case=rect.unit_case).update(number=2)
    assert scan(now=at(REPORT_DUE - timedelta(days=1))).notified == 4  # plans overdue + reports
    assert set(notified(rect.contacts[1])[:2]) == {
        "第2轮整改报告还有 1 天到期",
        "整改方案已逾期 59 天",
    }


@pytest.mark.django_db
def test_closed_cases_and_archived_reviews_are_not_reminded(rect):
    RectificationCase.objects.filter(pk=rect.unit_case.pk).update(status=CaseStatus.CLOSED)
    assert scan(now=at(PLAN_DUE)).notified == 1  # the official's plan only
    assert notified(rect.contacts[0]) == [] and notified(rect.official) == ["整改方案今天到期"]
    Review.objects.filter(pk=rect.review.pk).update(phase=Phase.ARCHIVED)
    before = Notification.objects.count()
    result = scan(now=at(PLAN_DUE + timedelta(days=7)))
    assert (result.notified, result.digest) == (0, 0)
    assert Notification.objects.count() == before


@pytest.mark.django_db
def test_scan_queries_do_not_grow_with_the_due_obligations(rect, office_clerk, settings):
    def queries_of(call, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = call(**kwargs)
        return len(captured), result

    settings.PINGYI_DIGEST_HOUR = 20  # reminders first; the digest below
    few, result = queries_of(scan, now=at(PLAN_DUE))
    assert result.notified == 2
    for n in range(6):  # officials with accounts, and units with contacts
        if n % 2:
            official = OfficialFactory(user=UserFactory())
            subject = SubjectFactory(review=rect.review, official=official)
        else:
            unit = UnitFactory()
            unit.contacts.set([UserFactory(), UserFactory()])
            subject = SubjectFactory(review=rect.review, official=None, unit=unit)
        make_case(rect.review, subject, plan_due=PLAN_DUE + timedelta(days=1), office=office_clerk)
    many, result = queries_of(scan, now=at(PLAN_DUE + timedelta(days=1)))
    assert result.notified == 6  # the new plans (the first two had "due" already)
    assert Notification.objects.filter(title="整改方案今天到期").count() == 3 + 3 + 3 * 2
    assert many == few

    # The digest: two overdue plans, then eight.
    few, overdue = queries_of(digest, now=at(PLAN_DUE + timedelta(days=1), 21))
    assert overdue == 2
    many, overdue = queries_of(digest, now=at(PLAN_DUE + timedelta(days=2), 21))
    assert overdue == 8
    assert many == few


# --- the office's daily digest -------------------------------------------------------------------


@pytest.mark.django_db
def test_daily_digest_once_a_day_from_the_digest_hour(rect, settings):
    settings.PINGYI_DIGEST_HOUR = 8
    day = PLAN_DUE + timedelta(days=3)
    assert scan(now=at(day, 7)).digest is None  # before the hour
    assert not DigestRun.objects.exists()
    first = scan(now=at(day, 8))
    assert first.digest == 2
    for user in rect.office:
        (note,) = Notification.objects.filter(recipient=user, title__startswith=DIGEST_TITLE)
        assert note.title == "逾期事项汇总：2 项事项已逾期"
        assert note.body.splitlines() == [
            "赵建华：整改方案 已逾期 3 天",
            "县市场监管局：整改方案 已逾期 3 天",
        ]
        assert note.url
    assert not Notification.objects.filter(recipient=rect.official, title__startswith=DIGEST_TITLE)
    (run,) = DigestRun.objects.all()
    assert (run.day, run.overdue) == (day, 2)
    # Later scans the same day send no second digest.
    assert scan(now=at(day, 9)).digest is None
    assert scan(now=at(day, 23)).digest is None
    assert all(len(digests(user)) == 1 for user in rect.office)
    # The next day again, once.
    assert scan(now=at(day + timedelta(days=1), 10)).digest == 2
    assert all(len(digests(user)) == 2 for user in rect.office)


@pytest.mark.django_db
def test_digest_lists_the_first_twenty_and_counts_the_rest(rect, office_clerk):
    for n in range(22):
        subject = SubjectFactory(review=rect.review)
        Subject.objects.filter(pk=subject.pk).update(display_name=f"对象{n:02d}")
        make_case(rect.review, subject, plan_due=PLAN_DUE + timedelta(days=1), office=office_clerk)
    assert scan(now=at(PLAN_DUE + timedelta(days=8))).digest == 24
    (note,) = Notification.objects.filter(recipient=office_clerk, title__startswith=DIGEST_TITLE)
    lines = note.body.splitlines()
    assert len(lines) == 21 and lines[0] == "赵建华：整改方案 已逾期 8 天"
    assert lines[2] == "对象00：整改方案 已逾期 7 天"
    assert lines[-1] == "……另有 4 项，详见整改台账。"
    assert note.title == "逾期事项汇总：24 项事项已逾期"


@pytest.mark.django_db
def test_a_day_with_nothing_overdue_sends_no_digest_but_counts_as_done(rect):
    result = scan(now=at(PLAN_DUE, 9))  # due today, not overdue
    assert result.digest == 0
    assert DigestRun.objects.get().overdue == 0
    assert all(digests(user) == [] for user in rect.office)
    assert scan(now=at(PLAN_DUE, 10)).digest is None


@pytest.mark.django_db
def test_command_reports_the_digest(rect):
    out = StringIO()
    call_command(
        "scan_obligations", at=f"{PLAN_DUE + timedelta(days=7):%Y-%m-%d} 09:00", stdout=out
    )
    assert "本次发出提醒 2 项" in out.getvalue()
    assert "已发出今日逾期汇总（逾期 2 项）" in out.getvalue()


# --- R18: concurrent scans -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_at_the_due_time_notify_once(requires_postgres, review, office_team):
    # Nothing prepared: the scans race to open the obligation as well as to remind of it.
    jobs = [lambda: scan(now=at(DUE))] * 4
    outcomes, errors = run_at_once(jobs)
    assert not errors, errors
    assert outcomes == ["ok"] * 4
    assert Obligation.objects.filter(review=review).count() == 1
    assert reminders(review) == due("due")
    for user in office_team:
        assert notified(user) == ["向党委报告评议情况今天到期"]
    assert Notification.objects.count() == len(office_team)

    # And again, concurrently, at the next stage: one more each.
    outcomes, errors = run_at_once([lambda: scan(now=at(DUE + timedelta(days=7)))] * 4)
    assert not errors, errors
    assert reminders(review) == due("due", "overdue-1")
    assert all(len(notified(user)) == 2 for user in office_team)


# --- the management command ----------------------------------------------------------------------


@pytest.mark.django_db
def test_command_scans_as_of_the_given_time(review, office_team):
    out = StringIO()
    call_command("scan_obligations", at=f"{DUE:%Y-%m-%d} 09:00", stdout=out)
    assert "到期事项 1 项，本次发出提醒 1 项" in out.getvalue()
    assert reminders(review) == due("due")
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
