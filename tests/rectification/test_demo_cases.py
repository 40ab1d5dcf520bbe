"""The demo's 整改 (rectification/demo_cases.py): the finished 2025 review in 整改 with a case
per issued opinion in a realistic mix — closed after a satisfied vote, a plan returned and
resubmitted, an overdue plan and an overdue report, 继续整改 in round 2 with its notice issued,
an explanation recorded — the 2026 holidays loaded, and a second run changing nothing."""

from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from rectification import archive, demo_cases
from rectification.cases import current_round, obligation_of
from rectification.models import (
    CaseStatus,
    DocumentKind,
    DocumentStatus,
    FollowUp,
    FollowUpKind,
    Holiday,
    ObligationKind,
    RectificationCase,
    RectificationPlan,
    RectificationRound,
    RenderStatus,
    ReviewStatus,
    RoundOutcome,
)
from reviews.demo import DUTY_2025_TITLE
from reviews.models import Poll, PollPurpose, PollState, Review
from reviews.workflow import Phase
from subjects.models import AuditEvent, User


def counts():
    models = (RectificationCase, RectificationRound, RectificationPlan, FollowUp, Holiday, Poll)
    return {m.__name__: m.objects.count() for m in models} | {
        "events": AuditEvent.objects.exclude(action__startswith="auth.").count()
    }


@pytest.mark.django_db
def test_the_rectification_mix_and_a_second_run():
    call_command("seed_demo")
    review = Review.objects.get(title=DUTY_2025_TITLE)
    assert review.phase == Phase.RECTIFY
    today = timezone.localdate()
    by_name = {
        c.subject.display_name: c
        for c in RectificationCase.objects.filter(review=review).select_related("subject", "plan")
    }
    # Every issued opinion opened a case; 朱志玉's opinion is still with the council.
    assert len(by_name) == 11 and "朱志玉" not in by_name
    assert all(date(2025, 9, 28) <= c.received_on <= date(2025, 10, 31) for c in by_name.values())

    closed = {n for n, c in by_name.items() if c.status == CaseStatus.CLOSED}
    assert closed == set(demo_cases.SATISFIED)
    for name in demo_cases.SATISFIED:
        (round_,) = by_name[name].rounds.all()
        assert round_.outcome == RoundOutcome.SATISFIED and round_.report.status == "accepted"
        assert by_name[name].plan.status == ReviewStatus.ACCEPTED

    (poll,) = Poll.objects.filter(meeting__review=review, purpose=PollPurpose.RECTIFICATION)
    assert poll.state == PollState.PUBLISHED and poll.meeting.starts_at.year == 2026
    assert poll.meeting.session_name == demo_cases.MEETING_SESSION

    continued = by_name[demo_cases.CONTINUED]
    first, second = continued.rounds.order_by("number")
    assert (
        first.outcome == RoundOutcome.CONTINUED and first.dissatisfied * 2 > first.composition_total
    )
    assert second.council_session == demo_cases.CONTINUE_SESSION
    assert second.notice.kind == DocumentKind.CONTINUE_NOTICE
    assert second.notice.status == DocumentStatus.ISSUED
    assert second.notice.render_status == RenderStatus.DONE
    due = obligation_of(second, ObligationKind.REPORT).due_on
    assert 15 <= (due - today).days <= 30

    returned = by_name[demo_cases.RETURNED_PLAN].plan
    assert returned.status == ReviewStatus.SUBMITTED and returned.submissions == 2
    assert AuditEvent.objects.filter(
        action="plan.returned", target_id=str(returned.case_id)
    ).exists()

    late_plan = obligation_of(current_round(by_name[demo_cases.OVERDUE_PLAN]), ObligationKind.PLAN)
    assert late_plan.fulfilled_at is None and late_plan.due_on < today
    late_report = obligation_of(
        current_round(by_name[demo_cases.OVERDUE_REPORT]), ObligationKind.REPORT
    )
    assert late_report.fulfilled_at is None and late_report.due_on < today

    # official2 (孙丽): her plan accepted, her report half written and due soon.
    official2 = User.objects.get(username="official2")
    mine = by_name[demo_cases.DUE_SOON]
    assert mine.subject.official.user == official2
    assert mine.plan.status == ReviewStatus.ACCEPTED
    report_due = obligation_of(current_round(mine), ObligationKind.REPORT)
    assert report_due.fulfilled_at is None and 0 < (report_due.due_on - today).days <= 14
    assert current_round(mine).report.status == ReviewStatus.DRAFT

    (explanation,) = FollowUp.objects.filter(case__review=review)
    assert explanation.kind == FollowUpKind.EXPLANATION
    assert explanation.case.subject.display_name == demo_cases.EXPLAINED
    assert not explanation.case.subject.explanation_due

    assert Holiday.objects.filter(day__year=2026).count() == 39
    assert not Holiday.objects.filter(day__year=2027).exists()
    assert Holiday.objects.get(day=date(2026, 10, 10)).is_workday

    # Not archivable yet: open cases and 朱志玉's opinion.
    reasons = archive.blockers(review)
    assert reasons[0].startswith("有 6 个整改事项尚未办结") and "朱志玉" in reasons[1]

    before = counts()
    call_command("seed_demo")
    assert counts() == before
