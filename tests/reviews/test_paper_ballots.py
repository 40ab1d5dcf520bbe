"""R6: paper ballots are counted per voter group; more returned than issued voids the count;
blank ballots are abstentions; paper and electronic counts combine into one result."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from reviews import meetings
from reviews.models import PollState, SubjectForm, VoterGroup
from subjects.models import CompositionMember
from subjects.roles import Role
from tests.factories import ReviewFactory, SubjectFactory, UserFactory


@pytest.fixture
def open_poll(office_clerk):
    review = ReviewFactory()
    review.phase = "meeting"
    review.save(update_fields=["phase"])
    subjects = [SubjectFactory(review=review, form=SubjectForm.ONSITE) for _ in range(2)]
    members = [UserFactory(roles=[Role.COMMITTEE_MEMBER]) for _ in range(5)]
    for i, user in enumerate(members):
        CompositionMember.objects.create(user=user, term=review.term, order=i)
    meeting = meetings.create_meeting(
        actor=office_clerk,
        review=review,
        session_name="第十二次常委会会议",
        starts_at=datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
        place="常委会会议室",
    )
    for user in members[:3]:
        meetings.check_in(actor=office_clerk, meeting=meeting, user=user)
    poll = meetings.open_poll(
        actor=office_clerk, poll=meetings.create_poll(actor=office_clerk, meeting=meeting)
    )
    return poll, subjects, members


def marks(poll, *choices):
    return {str(item.pk): c for item, c in zip(poll.items.all(), choices, strict=True)}


@pytest.mark.django_db
def test_paper_and_electronic_combine(office_clerk, open_poll):
    poll, _subjects, members = open_poll
    items = list(poll.items.all())
    for user in members[:3]:
        voter = meetings.voter_for_user(poll, user)
        meetings.cast_ballot(poll=poll, voter=voter, marks=marks(poll, "satisfied", "basic"))
    meetings.record_paper(
        actor=office_clerk,
        poll=poll,
        group=VoterGroup.DEPUTY,
        issued=10,
        returned=9,
        invalid=1,
        blank=1,
        counts={items[0].pk: {"satisfied": 4, "dissatisfied": 3}, items[1].pk: {"basic": 7}},
    )
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    result = meetings.results(poll)
    first, second = result.items
    assert first.electronic["satisfied"] == 3 and first.paper["satisfied"] == 4
    assert first.total["satisfied"] == 7 and first.total["dissatisfied"] == 3
    assert second.total["basic"] == 10
    tally = result.paper_tallies[0]
    assert tally.valid == 7 and not tally.void
    assert result.void_groups == []


@pytest.mark.django_db
def test_more_returned_than_issued_voids_the_paper_count(office_clerk, open_poll):
    poll, _subjects, _members = open_poll
    items = list(poll.items.all())
    meetings.record_paper(
        actor=office_clerk,
        poll=poll,
        group=VoterGroup.DEPUTY,
        issued=5,
        returned=6,
        invalid=0,
        blank=0,
        counts={items[0].pk: {"dissatisfied": 6}},
    )
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    result = meetings.results(poll)
    assert result.void_groups == [VoterGroup.DEPUTY]
    assert result.items[0].total["dissatisfied"] == 0


@pytest.mark.django_db
def test_paper_counts_cannot_exceed_valid_ballots(office_clerk, open_poll):
    poll, _subjects, _members = open_poll
    items = list(poll.items.all())
    with pytest.raises(ValidationError, match="超过了有效票数"):
        meetings.record_paper(
            actor=office_clerk,
            poll=poll,
            group=VoterGroup.DEPUTY,
            issued=5,
            returned=5,
            invalid=0,
            blank=2,
            counts={items[0].pk: {"satisfied": 4}},
        )
    with pytest.raises(ValidationError, match="不能超过收回票数"):
        meetings.record_paper(
            actor=office_clerk,
            poll=poll,
            group=VoterGroup.DEPUTY,
            issued=5,
            returned=2,
            invalid=2,
            blank=1,
            counts={},
        )


@pytest.mark.django_db
def test_no_paper_entry_after_publication(office_clerk, open_poll):
    poll, _subjects, _members = open_poll
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    poll = meetings.publish_poll(actor=office_clerk, poll=poll)
    assert poll.state == PollState.PUBLISHED
    with pytest.raises(ValidationError):
        meetings.record_paper(
            actor=office_clerk,
            poll=poll,
            group=VoterGroup.MEMBER,
            issued=1,
            returned=1,
            invalid=0,
            blank=0,
            counts={},
        )
