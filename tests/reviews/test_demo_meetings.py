"""The demo data shows the 评议会议 live: the 2025 review's meeting is over with its 民主测评
sealed, published and public (all three grades), and the third review's meeting is under way
today with the poll ready for the chair to open. Seeding twice changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from reviews import meetings
from reviews.demo import COURT_TITLE, DUTY_2025_TITLE
from reviews.models import (
    AgendaItem,
    Attendance,
    Ballot,
    Inquiry,
    InquiryStatus,
    Meeting,
    PaperCount,
    PaperTally,
    Participation,
    Poll,
    PollState,
    Review,
    SealedBallot,
    Subject,
    SubjectForm,
    Voter,
)
from reviews.workflow import Phase
from subjects.models import User

COUNTED = (
    Review,
    Subject,
    Meeting,
    AgendaItem,
    Attendance,
    Inquiry,
    Poll,
    Voter,
    Participation,
    Ballot,
    SealedBallot,
    PaperTally,
    PaperCount,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db):
    call_command("seed_demo")


@pytest.mark.django_db
def test_the_2025_meeting_is_over_with_a_public_poll_of_three_grades(seeded):
    review = Review.objects.get(title=DUTY_2025_TITLE)
    # The demo has moved it on into 整改 (rectification/demo_cases.py).
    assert review.phase == Phase.RECTIFY and review.rules_frozen_at is not None
    (meeting,) = Meeting.objects.filter(
        review=review, session_name="县十八届人大常委会第二十六次会议"
    )
    assert meeting.session_name == "县十八届人大常委会第二十六次会议"
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == "2025-09-18 09:00"
    assert meeting.current_subject is None
    assert meetings.quorum(meeting).present == 10
    inquiries = list(meeting.inquiries.all())
    assert inquiries and all(i.status == InquiryStatus.ANSWERED and i.answer for i in inquiries)
    assert sum(i.follow_up_promised for i in inquiries) == 1
    assert {i.subject.form for i in inquiries} == {SubjectForm.ONSITE}

    (poll,) = Poll.objects.filter(meeting=meeting)
    assert poll.state == PollState.PUBLISHED and poll.public_at is not None
    assert review.published_at is not None
    voted = Participation.objects.filter(poll=poll).count()
    assert voted == poll.entitled_count == 11  # ten members and the deputy
    assert SealedBallot.objects.filter(poll=poll).count() == voted
    assert not Ballot.objects.filter(poll=poll).exists()

    result = meetings.results(poll)
    grades = [item.grade.label for item in result.items]
    assert len(grades) == 12 and {"满意", "基本满意", "不满意"} <= set(grades)
    assert grades.count("不满意") == 1 and grades.count("基本满意") == 1
    for tally in result.paper_tallies:
        assert not tally.void
        for item in result.items:
            assert sum(item.paper.values()) <= tally.valid
    # The grade is written on the subject; the 不满意 one owed the 主任会议 an explanation,
    # which the demo's rectification phase records (rectification/demo_cases.py).
    (graded_down,) = Subject.objects.filter(review=review, assessment_grade="dissatisfied")
    assert not graded_down.explanation_due
    assert graded_down.rectification.follow_ups.filter(kind="explanation").exists()
    assert not Subject.objects.filter(review=review, assessment_grade="").exists()


@pytest.mark.django_db
def test_the_third_review_has_todays_meeting_with_the_poll_ready_to_open(seeded):
    review = Review.objects.get(title=COURT_TITLE)
    assert review.phase == Phase.MEETING and review.published_at is not None
    subjects = Subject.objects.filter(review=review)
    assert subjects.filter(form=SubjectForm.ONSITE).count() >= 3
    assert subjects.filter(form=SubjectForm.WRITTEN).count() >= 2
    assert {s.unit_name for s in subjects} == {"县人民法院", "县人民检察院"}

    (meeting,) = Meeting.objects.filter(review=review)
    assert timezone.localtime(meeting.starts_at).date() == timezone.localdate()
    assert meeting.current_subject == meeting.agenda.first().subject
    present = meetings.quorum(meeting)
    assert present.met and present.present == 9
    checked_in = set(
        Attendance.objects.filter(meeting=meeting).values_list("user__username", flat=True)
    )
    assert {"member", "council", "group"} <= checked_in
    statuses = sorted(meeting.inquiries.values_list("status", flat=True))
    assert statuses == sorted([InquiryStatus.CALLED, InquiryStatus.QUEUED])

    (poll,) = Poll.objects.filter(meeting=meeting)
    assert poll.state == PollState.CREATED and not Voter.objects.filter(poll=poll).exists()
    # The chair opens it live; then the demo login `member` can vote.
    poll = meetings.open_poll(actor=User.objects.get(username="council"), poll=poll)
    assert meetings.voter_for_user(poll, User.objects.get(username="member")) is not None


@pytest.mark.django_db
def test_seeding_again_changes_nothing(seeded):
    before = counts()
    call_command("seed_demo")
    assert counts() == before
    # Two meetings with their 民主测评, and the 2025 review's rectification vote.
    assert before["Meeting"] == 3 and before["Poll"] == 3
