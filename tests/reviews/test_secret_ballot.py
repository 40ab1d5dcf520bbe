"""The secret ballot (民主测评) of reviews/meetings.py against RELIABILITY.md A, R1–R5."""

import json
import logging
import threading
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import CreateModel
from django.utils import timezone

from reviews import meetings
from reviews.meetings import AlreadyVoted
from reviews.models import (
    Attendance,
    Ballot,
    Choice,
    Participation,
    Poll,
    PollState,
    SealedBallot,
    Voter,
    VoterGroup,
)
from subjects.models import AuditEvent, CompositionMember
from subjects.roles import Role
from tests.factories import ReviewFactory, SubjectFactory, UserFactory

MEMBERS = 9


@dataclass
class Setting:
    review: object
    subjects: list
    members: list
    deputies: list
    meeting: object
    poll: Poll


def build(
    office,
    *,
    present: int = 6,
    deputies: int = 0,
    deputies_vote: bool = False,
    allow_unknown: bool = False,
    open_poll: bool = True,
) -> Setting:
    """A review in 评议会议 with 3 subjects (2 现场述职, 1 书面述职), 9 composition members,
    a meeting where `present` members (and `deputies` deputies) checked in, and its poll."""
    review = ReviewFactory(created_by=office, title="2025 年度述职评议")
    review.phase = "meeting"
    review.save(update_fields=["phase"])
    rules = review.rules
    rules.deputies_vote = deputies_vote
    rules.allow_unknown = allow_unknown
    rules.save()
    subjects = [
        SubjectFactory(review=review, form="onsite", order=1),
        SubjectFactory(review=review, form="onsite", order=2),
        SubjectFactory(review=review, form="written", order=3),
    ]
    members = []
    for i in range(MEMBERS):
        user = UserFactory(username=f"weiyuan{i:02d}", roles=[Role.COMMITTEE_MEMBER])
        CompositionMember.objects.create(user=user, term=review.term, order=i)
        members.append(user)
    deputy_users = [
        UserFactory(username=f"daibiao{i:02d}", roles=[Role.DEPUTY]) for i in range(deputies)
    ]
    meeting = meetings.create_meeting(
        actor=office,
        review=review,
        session_name="第二十三次会议",
        starts_at=timezone.now(),
        place="常委会会议室",
    )
    for user in members[:present] + deputy_users:
        meetings.check_in(actor=office, meeting=meeting, user=user)
    poll = meetings.create_poll(actor=office, meeting=meeting)
    if open_poll:
        poll = meetings.open_poll(actor=office, poll=poll)
    return Setting(review, subjects, members, deputy_users, meeting, poll)


@pytest.fixture
def setting(office_clerk):
    return build(office_clerk)


def items(poll):
    return list(poll.items.order_by("order", "id"))


def marks(poll, *choices):
    """Marks for every subject of the poll, in agenda order; all 满意 by default."""
    subjects = items(poll)
    choices = choices or (Choice.SATISFIED,) * len(subjects)
    assert len(choices) == len(subjects)
    return {str(item.pk): str(choice) for item, choice in zip(subjects, choices, strict=True)}


def vote(poll, user, *choices):
    voter = meetings.voter_for_user(poll, user)
    assert voter is not None, f"{user} is not entitled to vote"
    meetings.cast_ballot(poll=poll, voter=voter, marks=marks(poll, *choices))


def run_at_once(jobs):
    """Run callables in threads released together; each closes its own connection."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
            outcome = "ok"
        except AlreadyVoted:
            outcome = "already"
        except BaseException as error:  # collected and asserted on by the caller
            with lock:
                errors.append(error)
            return
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a voting thread hung"
    return outcomes, errors


# --- R1: one ballot per voter, exactly -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_submissions_of_one_member_make_one_ballot(
    requires_postgres, office_clerk
):
    s = build(office_clerk)
    voter = meetings.voter_for_user(s.poll, s.members[0])
    ballot = marks(s.poll, Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED)

    def cast():
        meetings.cast_ballot(poll=s.poll, voter=voter, marks=ballot)

    outcomes, errors = run_at_once([cast] * 50)

    assert errors == []
    assert outcomes.count("ok") == 1
    assert outcomes.count("already") == 49
    assert Participation.objects.filter(poll=s.poll).count() == 1
    assert Participation.objects.filter(poll=s.poll, voter=voter).count() == 1
    assert Ballot.objects.filter(poll=s.poll).count() == 1
    assert Ballot.objects.get(poll=s.poll).marks == ballot
    assert meetings.turnout(s.poll) == meetings.Turnout(voted=1, entitled=6)
    # A later try (another browser window) is refused the same way.
    with pytest.raises(AlreadyVoted):
        meetings.cast_ballot(poll=s.poll, voter=voter, marks=ballot)
    assert Ballot.objects.filter(poll=s.poll).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_members_voting_at_once_both_count(requires_postgres, office_clerk):
    s = build(office_clerk)
    first, second = (meetings.voter_for_user(s.poll, m) for m in s.members[:2])
    ballot = marks(s.poll)

    outcomes, errors = run_at_once(
        [
            lambda: meetings.cast_ballot(poll=s.poll, voter=first, marks=ballot),
            lambda: meetings.cast_ballot(poll=s.poll, voter=second, marks=ballot),
        ]
    )

    assert errors == []
    assert outcomes == ["ok", "ok"]
    assert set(Participation.objects.filter(poll=s.poll).values_list("voter_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert Ballot.objects.filter(poll=s.poll).count() == 2


@pytest.mark.django_db(transaction=True)
def test_closing_waits_for_a_ballot_in_flight_and_seals_it(
    requires_postgres, office_clerk, monkeypatch
):
    """A cast that holds the poll's shared lock when the chair closes: the close waits, the
    ballot is sealed with the others, and a cast after the close is refused (R1, R3)."""
    s = build(office_clerk)
    voter = meetings.voter_for_user(s.poll, s.members[0])
    inside, release = threading.Event(), threading.Event()
    checked = meetings._valid_marks

    def slow_check(*args, **kwargs):  # runs while the cast holds the poll's shared lock
        inside.set()
        assert release.wait(timeout=30)
        return checked(*args, **kwargs)

    monkeypatch.setattr(meetings, "_valid_marks", slow_check)
    closed = threading.Event()
    failures: list[BaseException] = []

    def cast():
        try:
            meetings.cast_ballot(poll=s.poll, voter=voter, marks=marks(s.poll))
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    def close():
        try:
            meetings.close_poll(actor=office_clerk, poll=s.poll)
            closed.set()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    casting = threading.Thread(target=cast)
    casting.start()
    assert inside.wait(timeout=30)
    closing = threading.Thread(target=close)
    closing.start()
    assert not closed.wait(timeout=1), "the close did not wait for the ballot in flight"
    release.set()
    casting.join(timeout=30)
    closing.join(timeout=30)
    assert failures == []
    assert closed.is_set()
    assert Participation.objects.filter(poll=s.poll).count() == 1
    assert Ballot.objects.filter(poll=s.poll).count() == 0
    assert SealedBallot.objects.filter(poll=s.poll).count() == 1
    monkeypatch.setattr(meetings, "_valid_marks", checked)
    late = meetings.voter_for_user(s.poll, s.members[1])
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=s.poll, voter=late, marks=marks(s.poll))
    assert Participation.objects.filter(poll=s.poll).count() == 1


# --- R2: the ballot row points to no one -----------------------------------------------------

FORBIDDEN_NAME_PARTS = ("user", "voter", "ip", "session", "time", "created")


def assert_anonymous_fields(label, fields: dict):
    """`fields`: name → field instance, from the model or from a migration."""
    assert set(fields) == {"id", "poll", "group", "marks"}, label
    pk = fields["id"]
    assert isinstance(pk, models.UUIDField) and pk.primary_key, label
    assert callable(pk.default), label
    drawn = {pk.default() for _ in range(3)}
    assert len(drawn) == 3 and all(u.version == 4 for u in drawn), f"{label}: not uuid4"
    for name, field in fields.items():
        assert not any(part in name.lower() for part in FORBIDDEN_NAME_PARTS), (label, name)
        assert not isinstance(field, models.DateField | models.TimeField), (label, name)
        assert not isinstance(field, models.AutoField | models.BigAutoField), (label, name)
        assert not isinstance(field, models.GenericIPAddressField), (label, name)
        if field.is_relation:
            assert name == "poll" and isinstance(field, models.ForeignKey), (label, name)


@pytest.mark.parametrize("model", [Ballot, SealedBallot])
def test_ballot_models_carry_nothing_that_points_to_a_voter(model):
    fields = {f.name: f for f in model._meta.get_fields(include_hidden=True)}
    assert_anonymous_fields(model.__name__, fields)
    assert model._meta.pk.name == "id"
    assert fields["poll"].related_model is Poll
    # Nothing elsewhere points to a ballot either (e.g. Participation.ballot).
    for other in apps.get_models(include_auto_created=True):
        for field in other._meta.get_fields(include_hidden=True):
            if field.is_relation and field.concrete:
                assert field.related_model is not model, f"{other.__name__}.{field.name}"


@pytest.mark.parametrize("name", ["ballot", "sealedballot"])
def test_ballot_migrations_carry_nothing_that_points_to_a_voter(name):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    created = [
        op
        for (app, _), migration in loader.disk_migrations.items()
        if app == "reviews"
        for op in migration.operations
        if isinstance(op, CreateModel) and op.name_lower == name
    ]
    assert len(created) == 1
    assert_anonymous_fields(f"CreateModel {name}", dict(created[0].fields))
    # Later migrations (AddField, AlterField…) must not have changed that.
    state = loader.project_state()
    assert_anonymous_fields(f"state {name}", dict(state.models[("reviews", name)].fields))


# --- R3: sealed at close ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_closing_seals_ballots_so_no_xmin_links_them_to_participations(
    requires_postgres, office_clerk
):
    s = build(office_clerk)
    for member in s.members[:5]:
        vote(s.poll, member, Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED)
    cast = sorted(
        json.dumps(b, sort_keys=True) for b in Ballot.objects.values_list("marks", flat=True)
    )

    meetings.close_poll(actor=office_clerk, poll=s.poll)

    assert not Ballot.objects.filter(poll=s.poll).exists()
    participations = Participation.objects.filter(poll=s.poll).count()
    assert participations == 5
    assert SealedBallot.objects.filter(poll=s.poll).count() == participations
    sealed = SealedBallot.objects.filter(poll=s.poll)
    assert sorted(json.dumps(b.marks, sort_keys=True) for b in sealed) == cast
    assert {b.group for b in sealed} == {VoterGroup.MEMBER}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM reviews_sealedballot s "
            "JOIN reviews_participation p ON s.xmin = p.xmin WHERE s.poll_id = %s",
            [s.poll.pk],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(DISTINCT xmin::text) FROM reviews_sealedballot WHERE poll_id = %s",
            [s.poll.pk],
        )
        assert cursor.fetchone()[0] == 1


# --- R4: no side channels --------------------------------------------------------------------


@pytest.mark.django_db
def test_no_log_line_or_audit_event_holds_a_voter_and_a_choice(setting, office_clerk, caplog):
    member = setting.members[0]
    voter = meetings.voter_for_user(setting.poll, member)
    ballot = marks(setting.poll, Choice.DISSATISFIED, Choice.BASIC, Choice.DISSATISFIED)
    audit_before = AuditEvent.objects.count()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    caplog.clear()
    connection.force_debug_cursor = True
    try:
        meetings.cast_ballot(poll=setting.poll, voter=voter, marks=ballot)
    finally:
        connection.force_debug_cursor = False
    assert AuditEvent.objects.count() == audit_before

    messages = [record.getMessage() for record in caplog.records]
    voter_marks = (
        member.username,
        member.full_name,
        "reviews_participation",
        "reviews_voter",
        "voter_id",
        "user_id",
    )
    choice_values = ("dissatisfied", "basic")
    with_choice = [m for m in messages if any(c in m for c in choice_values)]
    with_voter = [m for m in messages if any(v in m for v in voter_marks)]
    # The SQL really was logged at DEBUG: both halves appear, never in one line.
    assert with_choice, "the ballot INSERT was not logged: the test proves nothing"
    assert any(f"{voter.pk}" in m for m in with_voter)
    for message in with_choice:
        assert not any(v in message for v in voter_marks), message

    meetings.close_poll(actor=office_clerk, poll=setting.poll)
    poll = meetings.publish_poll(actor=office_clerk, poll=setting.poll)
    meetings.results(poll)
    events = AuditEvent.objects.all()
    assert events.filter(action="poll.closed").exists()
    for event in events:
        text = json.dumps(event.data, ensure_ascii=False) + event.summary + event.target_repr
        assert not any(choice in text for choice in Choice.values), (event.action, text)
        assert not any(label in text for label in ("不满意", "基本满意")), (event.action, text)


def test_ballots_are_not_in_the_admin():
    admin.autodiscover()
    registered = set(admin.site._registry)
    assert Ballot not in registered
    assert SealedBallot not in registered


# --- R5: limited disclosure ------------------------------------------------------------------


@pytest.mark.django_db
def test_only_turnout_while_open_and_results_after_close(setting, office_clerk):
    poll = setting.poll
    assert poll.state == PollState.OPEN
    assert meetings.turnout(poll) == meetings.Turnout(voted=0, entitled=6)
    for member in setting.members[:4]:
        vote(poll, member)
    assert meetings.turnout(poll) == meetings.Turnout(voted=4, entitled=6)
    with pytest.raises(PermissionDenied):
        meetings.results(poll)

    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    outcome = meetings.results(poll)
    assert outcome.electronic_ballots == 4
    assert [r.total[Choice.SATISFIED] for r in outcome.items] == [4, 4, 4]
    assert meetings.turnout(poll) == meetings.Turnout(voted=4, entitled=6)
    poll = meetings.publish_poll(actor=office_clerk, poll=poll)
    assert meetings.results(poll).electronic_ballots == 4


@pytest.mark.django_db
def test_results_are_refused_before_the_poll_opens(office_clerk):
    s = build(office_clerk, open_poll=False)
    with pytest.raises(PermissionDenied):
        meetings.results(s.poll)


@pytest.mark.django_db
def test_a_voter_group_below_k_ballots_is_not_broken_down(office_clerk):
    s = build(office_clerk, deputies=2, deputies_vote=True)
    poll = s.poll
    assert poll.rules_snapshot["min_group_size"] == 3
    assert meetings.turnout(poll) == meetings.Turnout(voted=0, entitled=8)
    assert Voter.objects.filter(poll=poll, group=VoterGroup.DEPUTY).count() == 2
    # Exactly k members (shown) and 2 deputies (hidden).
    for member in s.members[:3]:
        vote(poll, member, Choice.SATISFIED, Choice.SATISFIED, Choice.BASIC)
    for deputy in s.deputies:
        vote(poll, deputy, Choice.DISSATISFIED, Choice.BASIC, Choice.BASIC)
    with pytest.raises(PermissionDenied):
        meetings.results(poll)
    assert meetings.turnout(poll) == meetings.Turnout(voted=5, entitled=8)

    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    outcome = meetings.results(poll)
    assert outcome.electronic_ballots == 5
    for result in outcome.items:
        # The deputies' 2 ballots are below k, so no group is broken out: with the total
        # shown, the members' figures would give the deputies' away by subtraction.
        assert result.by_group == {}
        assert set(result.hidden_groups) == {VoterGroup.MEMBER, VoterGroup.DEPUTY}
        assert sum(result.total.values()) == 5
    first = outcome.items[0]
    assert first.total == {Choice.SATISFIED: 3, Choice.DISSATISFIED: 2}


@pytest.mark.django_db
def test_groups_are_broken_out_when_each_has_k_ballots(office_clerk):
    s = build(office_clerk, deputies=3, deputies_vote=True)
    poll = s.poll
    for member in s.members[:3]:
        vote(poll, member, Choice.SATISFIED, Choice.SATISFIED, Choice.BASIC)
    for deputy in s.deputies:
        vote(poll, deputy, Choice.DISSATISFIED, Choice.BASIC, Choice.BASIC)
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    first = meetings.results(poll).items[0]
    assert first.hidden_groups == []
    assert first.by_group[VoterGroup.MEMBER] == {Choice.SATISFIED: 3}
    assert first.by_group[VoterGroup.DEPUTY] == {Choice.DISSATISFIED: 3}


@pytest.mark.django_db
def test_a_voter_of_another_poll_cannot_vote_here(office_clerk):
    first = build(office_clerk)
    second = meetings.open_poll(
        actor=office_clerk, poll=meetings.create_poll(actor=office_clerk, meeting=first.meeting)
    )
    foreign = meetings.voter_for_user(first.poll, first.members[0])
    marks = {str(item.pk): Choice.SATISFIED for item in second.items.all()}
    with pytest.raises(PermissionDenied):
        meetings.cast_ballot(poll=second, voter=foreign, marks=marks)
    assert meetings.turnout(second).voted == 0
    assert meetings.turnout(first.poll).voted == 0


# --- Quorum and check-in ---------------------------------------------------------------------


@pytest.mark.django_db
def test_poll_needs_more_than_half_of_all_members(office_clerk):
    s = build(office_clerk, present=4, deputies=1, deputies_vote=True, open_poll=False)
    q = meetings.quorum(s.meeting)
    # Deputies do not count towards the quorum.
    assert (q.present, q.total, q.met, q.needed) == (4, 9, False, 5)

    with pytest.raises(ValidationError) as refused:
        meetings.open_poll(actor=office_clerk, poll=s.poll)
    assert "半数" in " ".join(refused.value.messages)
    s.poll.refresh_from_db()
    assert s.poll.state == PollState.CREATED
    assert not Voter.objects.filter(poll=s.poll).exists()

    fifth = s.members[4]
    first = meetings.check_in(actor=office_clerk, meeting=s.meeting, user=fifth)
    again = meetings.check_in(actor=fifth, meeting=s.meeting, user=fifth)
    assert again.pk == first.pk
    assert Attendance.objects.filter(meeting=s.meeting, user=fifth).count() == 1
    q = meetings.quorum(s.meeting)
    assert (q.present, q.total, q.met) == (5, 9, True)  # 10 > 9

    poll = meetings.open_poll(actor=office_clerk, poll=s.poll)
    assert poll.state == PollState.OPEN
    assert poll.entitled_count == 6  # 5 members and the deputy
    assert poll.rules_snapshot["members_present"] == 5
    assert poll.rules_snapshot["composition_total"] == 9


@pytest.mark.django_db
def test_only_members_and_deputies_check_in(setting, office_clerk, group_member):
    with pytest.raises(ValidationError):
        meetings.check_in(actor=office_clerk, meeting=setting.meeting, user=group_member)
    with pytest.raises(PermissionDenied):
        meetings.check_in(actor=group_member, meeting=setting.meeting, user=setting.members[8])
    assert not Attendance.objects.filter(user__in=[group_member, setting.members[8]]).exists()


# --- Voter codes -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_voter_codes_are_hashed_single_use_and_issued_only_before_opening(office_clerk):
    s = build(office_clerk, deputies_vote=True, open_poll=False)
    codes = meetings.issue_voter_codes(actor=office_clerk, poll=s.poll, count=3)
    assert len(codes) == 3 and len(set(codes)) == 3
    assert all(isinstance(code, str) and len(code) == 8 for code in codes)
    stored = set(Voter.objects.filter(poll=s.poll).values_list("code_hash", flat=True))
    assert len(stored) == 3
    assert not stored & set(codes)
    assert not Voter.objects.filter(code_hash__in=codes + [c.lower() for c in codes]).exists()
    assert stored == {meetings.hash_code(code) for code in codes}
    assert all(
        AuditEvent.objects.filter(summary__contains=code).count() == 0
        and AuditEvent.objects.filter(data__icontains=code).count() == 0
        for code in codes
    )

    poll = meetings.open_poll(actor=office_clerk, poll=s.poll)
    assert poll.entitled_count == 9  # 6 members and 3 slips
    voter = meetings.voter_for_code(poll, codes[0])
    assert voter is not None and voter.user_id is None and voter.group == VoterGroup.DEPUTY
    assert meetings.voter_for_code(poll, f" {codes[0].lower()} ").pk == voter.pk
    meetings.cast_ballot(poll=poll, voter=voter, marks=marks(poll))
    with pytest.raises(AlreadyVoted):
        meetings.cast_ballot(
            poll=poll, voter=meetings.voter_for_code(poll, codes[0]), marks=marks(poll)
        )
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert meetings.voter_for_code(poll, "ZZZZ2345") is None
    assert meetings.voter_for_code(poll, "") is None

    with pytest.raises(ValidationError):
        meetings.issue_voter_codes(actor=office_clerk, poll=poll, count=3)
    assert Voter.objects.filter(poll=poll, code_hash__isnull=False).count() == 3


@pytest.mark.django_db
def test_codes_are_dropped_when_deputies_do_not_vote(office_clerk):
    s = build(office_clerk, deputies_vote=False, open_poll=False)
    codes = meetings.issue_voter_codes(actor=office_clerk, poll=s.poll, count=2)
    poll = meetings.open_poll(actor=office_clerk, poll=s.poll)
    assert poll.entitled_count == 6
    assert meetings.voter_for_code(poll, codes[0]) is None


# --- Invalid ballots -------------------------------------------------------------------------


@pytest.mark.django_db
def test_incomplete_or_invalid_marks_are_refused_and_nothing_is_written(setting, office_clerk):
    poll = setting.poll
    voter = meetings.voter_for_user(poll, setting.members[0])
    full = marks(poll)
    missing = dict(list(full.items())[:-1])
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=poll, voter=voter, marks=missing)
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=poll, voter=voter, marks={})
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=poll, voter=voter, marks={**full, next(iter(full)): "maybe"})
    assert poll.allow_unknown is False
    with pytest.raises(ValidationError):
        meetings.cast_ballot(
            poll=poll, voter=voter, marks=marks(poll, Choice.UNKNOWN, Choice.BASIC, Choice.BASIC)
        )
    assert not Participation.objects.filter(poll=poll).exists()
    assert not Ballot.objects.filter(poll=poll).exists()

    # A refused ballot does not use up the vote.
    meetings.cast_ballot(poll=poll, voter=voter, marks=full)
    assert meetings.turnout(poll).voted == 1

    late = meetings.voter_for_user(poll, setting.members[1])
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=poll, voter=late, marks=full)
    assert Participation.objects.filter(poll=poll).count() == 1
    assert SealedBallot.objects.filter(poll=poll).count() == 1
    assert not Ballot.objects.filter(poll=poll).exists()


@pytest.mark.django_db
def test_unknown_is_accepted_when_the_rules_allow_it(office_clerk):
    s = build(office_clerk, allow_unknown=True)
    assert s.poll.allow_unknown is True
    vote(s.poll, s.members[0], Choice.UNKNOWN, Choice.BASIC, Choice.SATISFIED)
    assert Ballot.objects.get(poll=s.poll).marks[str(items(s.poll)[0].pk)] == Choice.UNKNOWN


@pytest.mark.django_db
def test_voting_before_the_poll_opens_is_refused(office_clerk):
    s = build(office_clerk, open_poll=False)
    voter = Voter.objects.create(poll=s.poll, user=s.members[0], group=VoterGroup.MEMBER)
    with pytest.raises(ValidationError):
        meetings.cast_ballot(poll=s.poll, voter=voter, marks=marks(s.poll))
    assert not Participation.objects.exists()


# --- Grading ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_more_than_half_dissatisfied_grades_dissatisfied(setting, office_clerk):
    poll = setting.poll
    S, B, D = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED
    ballots = [(D, S, S), (D, S, S), (D, S, B), (D, B, B), (S, S, D), (B, S, D)]
    for member, choices in zip(setting.members[:6], ballots, strict=True):
        vote(poll, member, *choices)
    poll = meetings.close_poll(actor=office_clerk, poll=poll)

    first, second, third = meetings.results(poll).items
    assert first.total == {D: 4, S: 1, B: 1}
    assert first.grade.grade == "dissatisfied"
    assert first.grade.denominator == 6
    assert "不满意票超过" in first.grade.explanation
    assert first.grade.dissatisfied_rate == pytest.approx(4 / 6)
    # 5 满意 + 1 基本满意 of 6: 100% ≥ 80%.
    assert second.grade.grade == "satisfied"
    # 2 满意 + 2 基本满意 of 6 = 66.7% < 80%, 2 不满意 = 33.3% ≤ 50%.
    assert third.grade.grade == "basic"
    assert "不满意票超过" not in third.grade.explanation


@pytest.mark.django_db
def test_exactly_half_dissatisfied_is_not_dissatisfied(setting, office_clerk):
    poll = setting.poll
    S, D = Choice.SATISFIED, Choice.DISSATISFIED
    for member, choice in zip(setting.members[:6], [D, D, D, S, S, S], strict=True):
        vote(poll, member, choice, S, S)
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    first = meetings.results(poll).items[0]
    assert first.grade.grade == "basic"  # 50% is not "more than" 50%
