"""The demo's phase-2 records: questionnaires with answers in every channel, the groups'
activities, findings numbered without gaps, 调查报告 heard (one waiting for the council),
述职报告 accepted and distributed, and a questionnaire open now for the `deputy` login.
Seeding twice changes nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from reviews.demo import COURT_TITLE, DUTY_2025_TITLE
from reviews.models import Review, Subject, WorkingGroup
from subjects.models import User
from subjects.roles import Role, has_role
from surveys.models import (
    Activity,
    Answer,
    Channel,
    DutyReport,
    DutyReportStatus,
    Finding,
    InvestigationReport,
    Invitation,
    Questionnaire,
    ReportStatus,
    Response,
)

COUNTED = (Questionnaire, Response, Answer, Invitation, Activity, Finding, InvestigationReport)


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db):
    call_command("seed_demo")


@pytest.mark.django_db
def test_the_2025_review_has_closed_questionnaires_in_every_channel(seeded):
    review = Review.objects.get(title=DUTY_2025_TITLE)
    deputies, public = Questionnaire.objects.filter(review=review).order_by("id")
    assert deputies.status() == public.status() == "closed"
    assert deputies.is_frozen and public.open_link
    by_channel = dict(
        Response.objects.filter(questionnaire=deputies)
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    assert by_channel == {Channel.INVITATION: 118, Channel.PAPER: 34}
    assert deputies.paper_received == 36
    assert Response.objects.filter(questionnaire=public, suspicious=True).count() == 3
    # Every matrix answer names a subject of this review; the results page can be built.
    assert (
        not Answer.objects.filter(questionnaire=deputies, subject__isnull=False)
        .exclude(subject__review=review)
        .exists()
    )


@pytest.mark.django_db
def test_findings_reports_and_duty_reports_are_complete(seeded):
    for title in (DUTY_2025_TITLE, COURT_TITLE):
        review = Review.objects.get(title=title)
        numbers = list(
            Finding.objects.filter(review=review)
            .order_by("number")
            .values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 10
        subjects = Subject.objects.filter(review=review).count()
        assert Activity.objects.filter(review=review).count() >= 3
        assert InvestigationReport.objects.filter(subject__review=review).count() == subjects
        reports = DutyReport.objects.filter(subject__review=review)
        assert reports.count() == subjects
        assert set(reports.values_list("status", flat=True)) == {DutyReportStatus.ACCEPTED}
        assert review.duty_settings.distributed_at is not None
    statuses = list(
        InvestigationReport.objects.filter(subject__review__title=COURT_TITLE).values_list(
            "status", flat=True
        )
    )
    assert statuses.count(ReportStatus.SUBMITTED) == 1  # waiting for the council
    assert not InvestigationReport.objects.filter(subject__review__title=DUTY_2025_TITLE).exclude(
        status=ReportStatus.HEARD
    )


@pytest.mark.django_db
def test_the_deputy_login_has_an_open_questionnaire_and_group_leaders_can_work(seeded):
    deputy = User.objects.get(username="deputy")
    (invitation,) = Invitation.objects.filter(user=deputy).select_related("questionnaire")
    assert invitation.questionnaire.status() == "open" and not invitation.used
    assert invitation.questionnaire.open_link
    # Leading a group is enough to work in it: save_group grants the role.
    leader_ids = WorkingGroup.objects.exclude(leader=None).values("leader")
    leaders = list(User.objects.filter(pk__in=leader_ids))
    assert leaders and all(has_role(u, Role.GROUP_MEMBER) for u in leaders)


@pytest.mark.django_db
def test_seeding_twice_changes_nothing(seeded):
    before = counts()
    call_command("seed_demo")
    assert counts() == before
