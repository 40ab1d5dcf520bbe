"""The rectification satisfaction vote: started by the office, run through the meeting
machinery, settled on publication against ALL composition members (DOMAIN.md)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rectification import cases, documents
from rectification.models import (
    CaseStatus,
    Document,
    DocumentKind,
    Opinion,
    RectificationReport,
    ReviewStatus,
    RoundOutcome,
)
from reviews import meetings
from reviews.models import Choice, PollPurpose, PollState, VoterGroup
from subjects.models import AuditEvent
from tests.reviews.test_secret_ballot import MEMBERS, build, vote

S, D = Choice.SATISFIED, Choice.DISSATISFIED


@dataclass
class VoteWorld:
    review: object
    subjects: list  # the two subjects with a case, in poll order
    cases: list
    members: list  # 9 composition members
    deputies: list


def open_case_for(office, review, subject):
    opinion = Opinion.objects.create(
        review=review, subject=subject, title="评议意见", updated_by=office
    )
    document = Document.objects.create(
        review=review,
        kind=DocumentKind.OPINION,
        subject=subject,
        opinion=opinion,
        organ=documents.default_organ(),
        title="评议意见",
        created_by=office,
        received_on=timezone.localdate() - timedelta(days=120),
    )
    return cases.open_case(actor=office, document=document)


def accept_reports(case_list):
    RectificationReport.objects.filter(round__case__in=case_list).update(
        status=ReviewStatus.ACCEPTED
    )


def build_vote_world(office, *, deputies=0, deputies_vote=False) -> VoteWorld:
    """A review in 整改 with 9 composition members and 2 cases whose round-1 reports are
    accepted (the third subject has no case)."""
    s = build(office, deputies=deputies, deputies_vote=deputies_vote, open_poll=False)
    review = s.review
    review.phase = "rectify"
    review.save(update_fields=["phase"])
    case_list = [open_case_for(office, review, subject) for subject in s.subjects[:2]]
    accept_reports(case_list)
    return VoteWorld(review, s.subjects[:2], case_list, s.members, s.deputies)


def later_meeting(office, world, *, present=6, deputies=()):
    meeting = meetings.create_meeting(
        actor=office,
        review=world.review,
        session_name="第二十八次会议",
        starts_at=timezone.now(),
        place="常委会会议室",
    )
    for user in world.members[:present] + list(deputies):
        meetings.check_in(actor=office, meeting=meeting, user=user)
    return meeting


def run_vote(office, world, ballots, *, present=6, deputies=(), deputy_ballots=(), paper=None):
    """Start, open, vote (`ballots`: choices per member, in poll order), close, publish."""
    meeting = later_meeting(office, world, present=present, deputies=deputies)
    poll = cases.start_vote(actor=office, meeting=meeting)
    poll = meetings.open_poll(actor=office, poll=poll)
    for member, choices in zip(world.members, ballots, strict=False):
        vote(poll, member, *choices)
    for deputy, choices in zip(deputies, deputy_ballots, strict=False):
        vote(poll, deputy, *choices)
    poll = meetings.close_poll(actor=office, poll=poll)
    if paper is not None:
        meetings.record_paper(actor=office, poll=poll, **paper(poll))
    poll = meetings.publish_poll(actor=office, poll=poll)
    for case in world.cases:
        case.refresh_from_db()
    return poll


@pytest.fixture
def world(office_clerk):
    return build_vote_world(office_clerk)


# --- the end-to-end vote and settle ----------------------------------------------------------


@pytest.mark.django_db
def test_vote_end_to_end_settles_against_all_composition_members(office_clerk, world):
    assert MEMBERS == 9
    # 6 of 9 present. Subject 1: 5 不满意 (> 4.5) ⇒ 不满意. Subject 2: 4 不满意 of 6 voting is
    # a majority of those voting but not of all 9 members ⇒ 满意, case closed.
    ballots = [(D, D)] * 4 + [(D, S), (S, S)]
    poll = run_vote(office_clerk, world, ballots)
    assert poll.purpose == PollPurpose.RECTIFICATION and poll.state == PollState.PUBLISHED
    first, second = (c.rounds.get(number=1) for c in world.cases)
    assert first.outcome == RoundOutcome.DISSATISFIED
    assert (first.dissatisfied, first.composition_total) == (5, 9)
    assert world.cases[0].status == CaseStatus.OPEN
    assert second.outcome == RoundOutcome.SATISFIED and second.dissatisfied == 4
    assert world.cases[1].status == CaseStatus.CLOSED and world.cases[1].closed_at
    assert AuditEvent.objects.filter(action="round.settled").count() == 2
    assert AuditEvent.objects.filter(action="case.closed").count() == 1
    # Nothing left to vote on.
    assert cases.rounds_ready_for_vote(world.review) == []


@pytest.mark.django_db
def test_exactly_half_is_satisfied(office_clerk):
    # 8 composition members: 4 不满意 is exactly half, not more ⇒ 满意.
    world = build_vote_world(office_clerk)
    world.members[-1].compositions.all().delete()
    ballots = [(D, D)] * 4 + [(S, D), (S, S)]
    run_vote(office_clerk, world, ballots)
    first, second = (c.rounds.get(number=1) for c in world.cases)
    assert first.composition_total == 8
    assert (first.outcome, first.dissatisfied) == (RoundOutcome.SATISFIED, 4)
    assert (second.outcome, second.dissatisfied) == (RoundOutcome.DISSATISFIED, 5)
    assert world.cases[0].status == CaseStatus.CLOSED
    assert world.cases[1].status == CaseStatus.OPEN


@pytest.mark.django_db
def test_deputies_never_count_towards_the_threshold(office_clerk):
    world = build_vote_world(office_clerk, deputies=4, deputies_vote=True)
    # 4 members and 4 deputies 不满意 on subject 1: 8 不满意 ballots, but 4 members ≤ 4.5.
    ballots = [(D, S)] * 4 + [(S, S)] * 2
    run_vote(
        office_clerk,
        world,
        ballots,
        deputies=world.deputies,
        deputy_ballots=[(D, D)] * 4,
    )
    first = world.cases[0].rounds.get(number=1)
    assert (first.outcome, first.dissatisfied) == (RoundOutcome.SATISFIED, 4)
    assert world.cases[1].rounds.get(number=1).dissatisfied == 0


@pytest.mark.django_db
def test_paper_counts_of_the_member_group_count(office_clerk, world):
    # 5 members vote electronically (3 不满意 on subject 1); 2 more members' paper ballots
    # carry 不满意 too: 5 > 4.5 ⇒ 不满意.
    def paper(poll):
        first, second = (i.pk for i in poll.items.order_by("order", "id"))
        return {
            "group": VoterGroup.MEMBER,
            "issued": 2,
            "returned": 2,
            "invalid": 0,
            "blank": 0,
            "counts": {first: {D: 2}, second: {S: 2}},
        }

    ballots = [(D, S)] * 3 + [(S, S)] * 2
    run_vote(office_clerk, world, ballots, present=7, paper=paper)
    first = world.cases[0].rounds.get(number=1)
    assert (first.outcome, first.dissatisfied) == (RoundOutcome.DISSATISFIED, 5)


@pytest.mark.django_db
def test_start_vote_refusals(office_clerk, world):
    meeting = later_meeting(office_clerk, world)
    world.review.phase = "meeting"
    world.review.save(update_fields=["phase"])
    with pytest.raises(ValidationError, match="整改"):
        cases.start_vote(actor=office_clerk, meeting=meeting)
    world.review.phase = "rectify"
    world.review.save(update_fields=["phase"])
    cases.start_vote(actor=office_clerk, meeting=meeting)
    with pytest.raises(ValidationError, match="没有整改报告已通过审核"):
        cases.start_vote(actor=office_clerk, meeting=meeting)


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_vote_start_page_lists_rounds_and_starts_the_vote(client, office_clerk, world):
    client.force_login(office_clerk)
    url = reverse("rectification:vote_start", args=[world.review.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for subject in world.subjects:
        assert subject.display_name in text
    # The first meeting already holds the 民主测评: not offered.
    assert "新建常委会会议" in text and "第二十三次会议" not in text
    meeting = later_meeting(office_clerk, world)
    response = client.post(url, {"meeting": meeting.pk, "title": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:control", args=[meeting.pk])
    poll = meeting.polls.get()
    assert poll.title == "第二十八次会议整改情况满意度测评"
    control = client.get(response["Location"]).content.decode()
    assert "整改情况满意度测评" in control
    # The open button is enabled in phase 整改.
    assert "评议活动处于“整改”阶段时才能" not in control


@pytest.mark.django_db
def test_vote_start_errors_keep_input(client, office_clerk, world):
    client.force_login(office_clerk)
    url = reverse("rectification:vote_start", args=[world.review.pk])
    meeting = later_meeting(office_clerk, world)
    page = client.post(url, {"meeting": "", "title": "我的测评"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "请选择进行整改满意度测评的会议" in text and "我的测评" in text
    # The first meeting already holds the 民主测评; a meeting of another review is not offered.
    used = world.review.meetings.exclude(pk=meeting.pk).get()
    text = client.post(url, {"meeting": used.pk, "title": "我的测评"}).content.decode()
    assert "所选会议不属于本次评议或已有测评" in text
    accept = RectificationReport.objects.filter(round__case__in=world.cases)
    accept.update(status=ReviewStatus.SUBMITTED)
    page = client.post(url, {"meeting": meeting.pk, "title": "我的测评"})
    text = page.content.decode()
    assert "没有整改报告已通过审核" in text and "我的测评" in text
    assert not meeting.polls.exists()


@pytest.mark.django_db
def test_meeting_create_works_in_rectify(client, office_clerk, world):
    client.force_login(office_clerk)
    response = client.post(
        reverse("reviews:meeting_create", args=[world.review.pk]),
        {"session_name": "第二十八次会议", "starts_at": "2026-06-01T09:00", "place": "会议室"},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_vote_start_access(client, personas, world):
    url = reverse("rectification:vote_start", args=[world.review.pk])
    expected = {
        "office": 200,
        "council": 403,
        "group_member": 403,
        "committee_member": 403,
        "deputy": 403,
        "official": 403,
    }
    for name, user in personas.items():
        client.force_login(user)
        assert client.get(url).status_code == expected[name], name
    client.force_login(personas["office"])
    assert client.get(reverse("rectification:vote_start", args=[99999])).status_code == 404


@pytest.mark.django_db
def test_rectification_results_page_reads_differently(client, office_clerk, world):
    ballots = [(D, D)] * 5 + [(S, S)]
    poll = run_vote(office_clerk, world, ballots)
    client.force_login(office_clerk)
    text = client.get(reverse("reviews:poll_results", args=[poll.pk])).content.decode()
    assert "组成人员不满意 5 票，超过全体组成人员 9 人的半数" in text
    assert "满意率" not in text
    assert "由主任会议决定继续整改" in text


@pytest.mark.django_db
def test_rectification_ballot_heading(client, office_clerk, world):
    meeting = later_meeting(office_clerk, world)
    poll = cases.start_vote(actor=office_clerk, meeting=meeting)
    poll = meetings.open_poll(actor=office_clerk, poll=poll)
    client.force_login(world.members[0])
    text = client.get(reverse("reviews:ballot", args=[poll.pk])).content.decode()
    assert "整改落实情况逐一作出评价" in text


@pytest.mark.django_db
def test_rectification_results_workbook_counts_members_not_a_rate(client, office_clerk, world):
    from io import BytesIO

    from openpyxl import load_workbook

    ballots = [(D, D)] * 5 + [(S, S)]
    poll = run_vote(office_clerk, world, ballots)
    client.force_login(office_clerk)
    response = client.get(reverse("reviews:poll_results_xlsx", args=[poll.pk]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    text = "\n".join(str(c) for row in cells for c in row if c is not None)
    assert "满意率" not in text
    assert "不满意票超过全体组成人员半数的，整改评为不满意" in text
    header = next(row for row in cells if "全体组成人员" in row)
    base, against = header.index("全体组成人员"), header.index("组成人员不满意")
    first = next(row for row in cells if row[0] == 1)
    assert (first[base], first[against]) == (9, 5)
    assert "须继续整改" in first[-1]
