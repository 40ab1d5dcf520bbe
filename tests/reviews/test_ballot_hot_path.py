"""The ballot's hot path (bench/ballot_burst.py): a vote is a fixed, small number of
statements, the hand-written reads give the same objects as the ORM, and the projector's
turnout is one count."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import meetings
from reviews.meeting_views import _voter_with_poll
from reviews.models import Ballot, Participation, Poll
from tests.reviews.test_secret_ballot import build, items

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(office_clerk):
    return build(office_clerk)


def _ballot_post(poll) -> dict:
    data = {"item-marks": "1", "action": "submit"}
    data |= {f"item-{item.pk}": "satisfied" for item in items(poll)}
    return data


def test_voter_with_poll_reads_what_the_orm_reads(setting):
    member = setting.members[0]
    voter = _voter_with_poll(setting.poll.pk, member)
    expected = Poll.objects.get(pk=setting.poll.pk)

    assert voter == meetings.voter_for_user(setting.poll, member)
    assert voter.group and voter.user_id == member.pk and voter.poll_id == expected.pk
    for field in Poll._meta.concrete_fields:
        assert getattr(voter.poll, field.attname) == getattr(expected, field.attname), field.name
    assert isinstance(voter.poll.rules_snapshot, dict)
    assert voter.poll.meeting == setting.meeting  # loaded on demand
    assert _voter_with_poll(setting.poll.pk + 1000, member) is None


def test_a_ballot_is_a_fixed_number_of_statements(setting, requires_postgres):
    member = setting.members[0]
    client = Client()
    client.force_login(member)
    url = reverse("reviews:ballot", args=[setting.poll.pk])
    data = _ballot_post(setting.poll)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:ballot_done", args=[setting.poll.pk])
    statements = [q["sql"] for q in captured]
    # session, user, voter with poll; then in one transaction (savepoint here, inside the
    # test's own transaction): the shared lock, state with subjects, participation, ballot.
    assert len([s for s in statements if "SAVEPOINT" not in s]) == 7, statements
    # R4: the ballot's INSERT names no voter, the participation's carries no choice.
    for sql in statements:
        assert not ("satisfied" in sql and ("voter" in sql or str(member.pk) in sql)), sql
    ballot = Ballot.objects.get(poll=setting.poll)
    assert ballot.marks == {str(item.pk): "satisfied" for item in items(setting.poll)}
    assert ballot.group == meetings.voter_for_user(setting.poll, member).group
    assert Participation.objects.filter(poll=setting.poll).count() == 1

    again = client.post(url, data)
    assert "您已投票" in again.content.decode()
    assert Ballot.objects.filter(poll=setting.poll).count() == 1


def test_marks_are_stored_as_json_objects(setting):
    voter = meetings.voter_for_user(setting.poll, setting.members[1])
    marks = {str(item.pk): "basic" for item in items(setting.poll)}
    meetings.cast_ballot(poll=setting.poll, voter=voter, marks=marks)

    with connection.cursor() as cursor:
        cursor.execute("SELECT marks FROM reviews_ballot WHERE poll_id = %s", [setting.poll.pk])
        (raw,) = cursor.fetchone()
    stored = json.loads(raw) if isinstance(raw, str) else raw
    assert stored == marks
    assert meetings.turnout(setting.poll) == meetings.Turnout(voted=1, entitled=6)
