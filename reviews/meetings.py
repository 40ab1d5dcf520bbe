"""Services of the review meeting: agenda, check-in, quorum, 询问, and the secret 民主测评.

Secrecy (RELIABILITY.md A): a ballot row carries a random id, its poll, the voter group and
the marks — nothing that points to a voter. Casting writes the participation (unique per
voter) and the ballot in one transaction; closing copies the ballots in random order into the
sealed table in one transaction and deletes the live rows, so no `xmin`, position or id links a
sealed ballot to whoever cast it. Nothing here logs or audits a choice.
"""

import hashlib
import json
import secrets
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from subjects.audit import record, register_actions
from subjects.models import CompositionMember
from subjects.roles import Role, has_role

from . import grading
from .models import (
    AgendaItem,
    AssessmentGrade,
    Attendance,
    Ballot,
    Choice,
    Inquiry,
    InquiryStatus,
    Meeting,
    PaperCount,
    PaperTally,
    Participation,
    Poll,
    PollPurpose,
    PollState,
    PollSubject,
    SealedBallot,
    Subject,
    SubjectForm,
    Voter,
    VoterGroup,
)
from .workflow import Phase

# Sent in the transaction that publishes a poll, with `poll`: the rectification app settles
# its rounds from a published rectification poll (dependencies point one way).
poll_published = Signal()

register_actions(
    {
        "meeting.created": "创建评议会议",
        "meeting.checked_in": "会议签到",
        "meeting.current_subject": "切换述职对象",
        "poll.created": "创建民主测评",
        "poll.codes_issued": "生成投票码",
        "poll.opened": "开始民主测评",
        "poll.closed": "结束民主测评并封存选票",
        "poll.published": "公布测评结果",
        "poll.made_public": "向社会公开测评结果",
        "meeting.agenda_moved": "调整会议议程",
        "inquiry.called": "询问发言",
        "poll.paper_recorded": "录入纸质票",
        "inquiry.recorded": "记录询问",
    }
)


class AlreadyVoted(Exception):
    """The voter has a participation already: show "您已投票"."""


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


# --- the meeting ---------------------------------------------------------------------------


@transaction.atomic
def create_meeting(*, actor, review, session_name: str, starts_at, place: str) -> Meeting:
    meeting = Meeting.objects.create(
        review=review,
        session_name=session_name,
        starts_at=starts_at,
        place=place,
        checkin_token=secrets.token_urlsafe(24),
    )
    subjects = Subject.objects.filter(review=review).order_by("order", "id")
    # 现场述职 first, then 书面述职, each in enrolment order.
    onsite = [s for s in subjects if s.form == SubjectForm.ONSITE]
    written = [s for s in subjects if s.form != SubjectForm.ONSITE]
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, subject=s, order=i) for i, s in enumerate(onsite + written)
    )
    record(
        actor=actor,
        action="meeting.created",
        target=meeting,
        summary=f"创建评议会议“{session_name}”（{review.title}）",
    )
    return meeting


def composition_of(review) -> list[CompositionMember]:
    """The active composition members of the review's term, in their order."""
    return list(
        CompositionMember.objects.filter(term=review.term, is_active=True)
        .select_related("user")
        .order_by("order", "id")
    )


def group_for(meeting: Meeting, user) -> str | None:
    """The voter group a user checks in as, or None when they have no seat at the meeting."""
    if CompositionMember.objects.filter(
        term=meeting.review.term, is_active=True, user=user
    ).exists():
        return VoterGroup.MEMBER
    if has_role(user, Role.DEPUTY):
        return VoterGroup.DEPUTY
    return None


@transaction.atomic
def check_in(*, actor, meeting: Meeting, user) -> Attendance:
    """Staff check someone in at the door, or a person checks themselves in (actor == user).
    Checking in twice is harmless."""
    if actor != user and not has_role(actor, Role.OFFICE):
        raise PermissionDenied
    group = group_for(meeting, user)
    if group is None:
        raise ValidationError(f"{user}不是本届常委会组成人员，也不是人大代表，无需签到。")
    attendance, created = Attendance.objects.get_or_create(
        meeting=meeting,
        user=user,
        defaults={"group": group, "checked_in_by": actor if actor != user else None},
    )
    if created:
        record(
            actor=actor,
            action="meeting.checked_in",
            target=meeting,
            summary=f"{user} 签到（{attendance.get_group_display()}）",
        )
    return attendance


@dataclass(frozen=True)
class Quorum:
    present: int
    total: int

    @property
    def met(self) -> bool:
        # 全体组成人员的过半数: strictly more than half of all members, not of those present.
        return self.total > 0 and self.present * 2 > self.total

    @property
    def needed(self) -> int:
        return self.total // 2 + 1

    @property
    def missing(self) -> int:
        return max(self.needed - self.present, 0)


def quorum(meeting: Meeting) -> Quorum:
    members = CompositionMember.objects.filter(term=meeting.review.term, is_active=True)
    present = Attendance.objects.filter(
        meeting=meeting, group=VoterGroup.MEMBER, user__in=members.values("user")
    ).count()
    return Quorum(present=present, total=members.count())


@transaction.atomic
def set_current_subject(*, actor, meeting: Meeting, subject: Subject | None) -> Meeting:
    if subject is not None and subject.review_id != meeting.review_id:
        raise ValidationError("该评议对象不属于本次评议。")
    meeting.current_subject = subject
    meeting.save(update_fields=["current_subject"])
    record(
        actor=actor,
        action="meeting.current_subject",
        target=meeting,
        summary=f"现在述职：{subject or '无'}",
    )
    return meeting


@transaction.atomic
def move_agenda_item(*, actor, item: AgendaItem, offset: int) -> None:
    """Move one subject up (-1) or down (+1) in the order of reports. A poll not yet opened
    follows the agenda; once voting has started the order is fixed."""
    if Poll.objects.filter(meeting_id=item.meeting_id).exclude(state=PollState.CREATED).exists():
        raise ValidationError("民主测评已经开始，议程顺序不能再调整。")
    items = list(AgendaItem.objects.select_for_update().filter(meeting_id=item.meeting_id))
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for order, it in enumerate(items):
        it.order = order
    AgendaItem.objects.bulk_update(items, ["order"])
    positions = {it.subject_id: it.order for it in items}
    poll_items = list(PollSubject.objects.filter(poll__meeting_id=item.meeting_id))
    for poll_item in poll_items:
        poll_item.order = positions.get(poll_item.subject_id, poll_item.order)
    PollSubject.objects.bulk_update(poll_items, ["order"])
    record(
        actor=actor,
        action="meeting.agenda_moved",
        target=item.meeting,
        summary=f"调整议程：{item.subject} 移至第 {target + 1} 位",
    )


# --- 询问 ------------------------------------------------------------------------------------


@transaction.atomic
def queue_inquiry(
    *, actor, meeting: Meeting, subject: Subject, question: str, asker=None
) -> Inquiry:
    """A member queues a question from their phone (or staff enter it for `asker`); the
    chair calls questions in order."""
    asker = asker or actor
    if asker != actor and not has_role(actor, Role.OFFICE):
        raise PermissionDenied
    if subject.review_id != meeting.review_id or subject.form != SubjectForm.ONSITE:
        raise ValidationError("只能向本次会议现场述职的评议对象提出询问。")
    if not question.strip():
        raise ValidationError("请填写询问内容。")
    if len(question) > 2000:
        raise ValidationError("询问内容请控制在 2000 字以内。")
    return Inquiry.objects.create(
        meeting=meeting, subject=subject, asker=asker, question=question.strip()
    )


@transaction.atomic
def call_inquiry(*, actor, inquiry: Inquiry) -> Inquiry:
    """The chair gives the floor to a queued question."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if inquiry.status != InquiryStatus.QUEUED:
        raise ValidationError("该询问不在排队中。")
    inquiry.status = InquiryStatus.CALLED
    inquiry.save(update_fields=["status"])
    record(
        actor=actor,
        action="inquiry.called",
        target=inquiry.subject,
        summary=f"请 {inquiry.asker} 询问 {inquiry.subject}",
    )
    return inquiry


@transaction.atomic
def withdraw_inquiry(*, actor, inquiry: Inquiry) -> Inquiry:
    """The asker withdraws a question that has not been called yet."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if inquiry.asker_id != actor.pk:
        raise PermissionDenied
    if inquiry.status != InquiryStatus.QUEUED:
        raise ValidationError("询问已经开始或已答复，不能撤回。")
    inquiry.status = InquiryStatus.WITHDRAWN
    inquiry.save(update_fields=["status"])
    return inquiry


@transaction.atomic
def record_inquiry(
    *,
    actor,
    inquiry: Inquiry,
    answer: str,
    follow_up_promised: bool,
    status: str = InquiryStatus.ANSWERED,
) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if inquiry.status == InquiryStatus.WITHDRAWN:
        raise ValidationError("该询问已由询问人撤回，不能记录答复。")
    inquiry.answer = answer.strip()
    inquiry.follow_up_promised = follow_up_promised
    inquiry.status = status
    inquiry.save(update_fields=["answer", "follow_up_promised", "status"])
    record(
        actor=actor,
        action="inquiry.recorded",
        target=inquiry.subject,
        summary=f"记录询问：{inquiry.asker} 询问 {inquiry.subject}",
    )
    return inquiry


# --- the poll --------------------------------------------------------------------------------


def _lock_poll(poll: Poll) -> Poll:
    return (
        Poll.objects.select_for_update(of=("self",))
        .select_related("meeting__review__rules")
        .get(pk=poll.pk)
    )


@transaction.atomic
def create_poll(
    *,
    actor,
    meeting: Meeting,
    title: str = "",
    purpose: str = PollPurpose.ASSESSMENT,
    subjects: list[Subject] | None = None,
) -> Poll:
    """A poll on the meeting's agenda, or on `subjects` (a rectification poll's)."""
    if subjects is None:
        items = AgendaItem.objects.filter(meeting=meeting).select_related("subject")
        subjects = [item.subject for item in items]
    if not subjects:
        raise ValidationError("会议议程中没有评议对象，无法创建民主测评。")
    poll = Poll.objects.create(
        meeting=meeting, title=title or f"{meeting.session_name}民主测评", purpose=purpose
    )
    PollSubject.objects.bulk_create(
        PollSubject(poll=poll, subject=subject, order=i) for i, subject in enumerate(subjects)
    )
    record(actor=actor, action="poll.created", target=poll, summary=f"创建民主测评：{poll.title}")
    return poll


@transaction.atomic
def issue_voter_codes(*, actor, poll: Poll, count: int) -> list[str]:
    """One-time codes for deputies without accounts, printed on slips handed out at random.
    Returned once, in plain text, for printing; only their hashes are kept."""
    poll = _lock_poll(poll)
    if poll.state != PollState.CREATED:
        raise ValidationError("测评开始后不能再生成投票码。")
    if not 1 <= count <= 500:
        raise ValidationError("一次可生成 1 至 500 个投票码。")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    codes = ["".join(secrets.choice(alphabet) for _ in range(8)) for _ in range(count)]
    Voter.objects.bulk_create(
        Voter(poll=poll, group=VoterGroup.DEPUTY, code_hash=hash_code(code)) for code in codes
    )
    record(
        actor=actor,
        action="poll.codes_issued",
        target=poll,
        summary=f"为列席代表生成 {count} 个投票码：{poll.title}",
    )
    return codes


@transaction.atomic
def open_poll(*, actor, poll: Poll) -> Poll:
    poll = _lock_poll(poll)
    meeting = poll.meeting
    review = meeting.review
    if poll.state != PollState.CREATED:
        raise ValidationError("该测评已经开始过。")
    if poll.purpose == PollPurpose.RECTIFICATION:
        if review.phase != Phase.RECTIFY:
            raise ValidationError("评议活动处于“整改”阶段时才能进行整改满意度测评。")
    elif review.phase != Phase.MEETING:
        raise ValidationError("评议活动进入“评议会议”阶段后才能开始民主测评。")
    present = quorum(meeting)
    if not present.met:
        raise ValidationError(
            f"出席的常委会组成人员 {present.present} 人，未超过全体组成人员 {present.total} 人的"
            f"半数（至少需要 {present.needed} 人），不能开始测评。"
        )
    rules = review.rules
    deputies = rules.deputies_vote
    attending = Attendance.objects.filter(meeting=meeting)
    if not deputies:
        attending = attending.filter(group=VoterGroup.MEMBER)
        Voter.objects.filter(poll=poll, code_hash__isnull=False).delete()
    Voter.objects.bulk_create(Voter(poll=poll, user_id=a.user_id, group=a.group) for a in attending)
    poll.allow_unknown = rules.allow_unknown
    poll.rules_snapshot = {
        "denominator": rules.grading_denominator,
        "satisfied_min_percent": rules.satisfied_min_percent,
        "dissatisfied_over_percent": rules.dissatisfied_over_percent,
        "min_group_size": rules.min_group_size,
        "allow_unknown": rules.allow_unknown,
        "deputies_vote": deputies,
        "composition_total": present.total,
        "members_present": present.present,
    }
    poll.entitled_count = Voter.objects.filter(poll=poll).count()
    poll.state = PollState.OPEN
    poll.opened_at = timezone.now()
    poll.save(
        update_fields=["allow_unknown", "rules_snapshot", "entitled_count", "state", "opened_at"]
    )
    record(
        actor=actor,
        action="poll.opened",
        target=poll,
        summary=f"开始民主测评：{poll.title}（应参加 {poll.entitled_count} 人）",
        data={"entitled": poll.entitled_count, "quorum": [present.present, present.total]},
    )
    return poll


# Advisory-lock namespace of polls: casting holds the poll's lock shared, closing holds it
# exclusively, so a close waits for the casts in flight and every later cast sees it closed.
# An advisory lock lives in the lock manager's memory; a row lock (FOR SHARE) taken by many
# concurrent transactions would write a MultiXact onto the poll's row for every ballot.
POLL_LOCK_NAMESPACE = 7107


def _share_lock(poll_id: int) -> tuple[str, bool, list[int] | None]:
    """The poll's state, 不了解 option and (PostgreSQL) subject ids, read under the poll's
    shared lock (see above). Subject ids are None where they are not read here."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)", [POLL_LOCK_NAMESPACE, poll_id]
            )
            # A new statement, so a new snapshot: a close committed while we waited is seen.
            # The ballot's subjects come with it: one round trip and one ORM query fewer
            # per ballot when a room votes at once.
            cursor.execute(
                "SELECT p.state, p.allow_unknown, ARRAY(SELECT s.id FROM reviews_pollsubject s"
                ' WHERE s.poll_id = p.id ORDER BY s."order", s.id)'
                " FROM reviews_poll p WHERE p.id = %s",
                [poll_id],
            )
            row = cursor.fetchone()
    else:
        row = Poll.objects.filter(pk=poll_id).values_list("state", "allow_unknown").first()
        row = row and (*row, None)
    if row is None:
        raise ValidationError("测评不存在。")
    return row[0], bool(row[1]), row[2]


def _exclusive_lock(poll_id: int) -> None:
    """Wait for the casts in flight and keep new ones out until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [POLL_LOCK_NAMESPACE, poll_id])


def _valid_marks(
    poll: Poll, marks: dict, allow_unknown: bool, items: list[int] | None = None
) -> dict[str, str]:
    if items is None:
        items = list(PollSubject.objects.filter(poll=poll).values_list("pk", flat=True))
    allowed = {Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED}
    if allow_unknown:
        allowed.add(Choice.UNKNOWN)
    cleaned = {}
    for item in items:
        choice = marks.get(str(item)) or marks.get(item)
        if choice not in allowed:
            raise ValidationError("请对每一位评议对象作出选择后再提交。")
        cleaned[str(item)] = str(choice)
    return cleaned


def voter_for_user(poll: Poll, user) -> Voter | None:
    return Voter.objects.filter(poll=poll, user=user).first()


def voter_for_code(poll: Poll, code: str) -> Voter | None:
    return Voter.objects.filter(poll=poll, code_hash=hash_code(code)).first()


def _participate(poll_id: int, voter_id: int) -> bool:
    """Insert the voter's participation; False when there is one already. One statement,
    no savepoint: the unique voter column decides between concurrent attempts (R1)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reviews_participation (poll_id, voter_id) VALUES (%s, %s) "
            "ON CONFLICT (voter_id) DO NOTHING RETURNING id",
            [poll_id, voter_id],
        )
        return cursor.fetchone() is not None


def _store_ballot(poll_id: int, group: str, marks: dict[str, str]) -> None:
    """The ballot row: a random id, the poll, the voter's group and the marks, nothing else
    (R2). A separate statement from the participation, so that no SQL line (logged at DEBUG)
    ever holds both a voter and a choice (R4); written by hand on PostgreSQL, where the ORM's
    model instance and compilation cost more CPU than the insert (bench/ballot_burst.py)."""
    if connection.vendor != "postgresql":
        Ballot.objects.create(poll_id=poll_id, group=group, marks=marks)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO reviews_ballot (id, poll_id, "group", marks)'
            " VALUES (%s, %s, %s, %s::jsonb)",
            [uuid.uuid4(), poll_id, group, json.dumps(marks)],
        )


def cast_ballot(*, poll: Poll, voter: Voter, marks: dict) -> None:
    """Record one voter's ballot, exactly once (R1). Raises AlreadyVoted on a second try."""
    if voter.poll_id != poll.pk:
        raise PermissionDenied("该投票人不属于本次测评。")
    with transaction.atomic():
        state, allow_unknown, items = _share_lock(poll.pk)
        if state != PollState.OPEN:
            raise ValidationError("测评未在进行中，不能投票。")
        cleaned = _valid_marks(poll, marks, allow_unknown, items)
        if not _participate(poll.pk, voter.pk):
            raise AlreadyVoted
        _store_ballot(poll.pk, voter.group, cleaned)


def has_voted(voter: Voter) -> bool:
    return Participation.objects.filter(voter=voter).exists()


@dataclass(frozen=True)
class Turnout:
    voted: int
    entitled: int


def turnout(poll: Poll) -> Turnout:
    """Voted / entitled. The projector asks every second while a room votes: one indexed
    count, written by hand (the ORM's compilation costs more than the count itself). Not a
    cached counter: the count must never drift from the participations (R1, R5)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reviews_participation WHERE poll_id = %s", [poll.pk])
        (voted,) = cursor.fetchone()
    return Turnout(voted=voted, entitled=poll.entitled_count)


@transaction.atomic
def close_poll(*, actor, poll: Poll) -> Poll:
    _exclusive_lock(poll.pk)
    poll = _lock_poll(poll)
    if poll.state != PollState.OPEN:
        raise ValidationError("只有进行中的测评可以结束。")
    live = list(Ballot.objects.filter(poll=poll).values_list("group", "marks"))
    secrets.SystemRandom().shuffle(live)
    SealedBallot.objects.bulk_create(SealedBallot(poll=poll, group=g, marks=m) for g, m in live)
    Ballot.objects.filter(poll=poll).delete()
    poll.state = PollState.CLOSED
    poll.closed_at = timezone.now()
    poll.save(update_fields=["state", "closed_at"])
    voted = Participation.objects.filter(poll=poll).count()
    record(
        actor=actor,
        action="poll.closed",
        target=poll,
        summary=f"结束民主测评并封存选票：{poll.title}（{voted}/{poll.entitled_count}）",
        data={"voted": voted, "entitled": poll.entitled_count},
    )
    return poll


@transaction.atomic
def publish_poll(*, actor, poll: Poll) -> Poll:
    """Publish the results to the members, and write each subject's grade; a subject graded
    不满意 is flagged to explain itself to the chairpersons' council (DOMAIN.md)."""
    poll = _lock_poll(poll)
    if poll.state != PollState.CLOSED:
        raise ValidationError("测评结束后才能公布结果。")
    poll.state = PollState.PUBLISHED
    poll.published_at = timezone.now()
    poll.save(update_fields=["state", "published_at"])
    if poll.purpose == PollPurpose.RECTIFICATION:
        # Judges the rectification, not the subject: no grade is written; the rounds settle.
        record(
            actor=actor, action="poll.published", target=poll, summary=f"公布测评结果：{poll.title}"
        )
        poll_published.send(sender=Poll, poll=poll)
        return poll
    graded = results(poll).items
    subjects = [result.item.subject for result in graded]
    for subject, result in zip(subjects, graded, strict=True):
        subject.assessment_grade = result.grade.grade if result.grade else ""
        subject.explanation_due = subject.assessment_grade == AssessmentGrade.DISSATISFIED
    Subject.objects.bulk_update(subjects, ["assessment_grade", "explanation_due"])
    flagged = [s.display_name for s in subjects if s.explanation_due]
    summary = f"公布测评结果：{poll.title}"
    if flagged:
        summary += f"；须向主任会议作出说明：{'、'.join(flagged)}"
    record(actor=actor, action="poll.published", target=poll, summary=summary)
    poll_published.send(sender=Poll, poll=poll)
    return poll


@transaction.atomic
def make_poll_public(*, actor, poll: Poll) -> Poll:
    """Show the published results on the review's public page (the review itself must be
    published there already)."""
    poll = _lock_poll(poll)
    if poll.state != PollState.PUBLISHED:
        raise ValidationError("测评结果向常委会组成人员公布后，才能向社会公开。")
    if poll.meeting.review.published_at is None:
        raise ValidationError("评议活动尚未在公开页面发布，请先发布评议公告。")
    if poll.public_at is None:
        poll.public_at = timezone.now()
        poll.save(update_fields=["public_at"])
        record(
            actor=actor,
            action="poll.made_public",
            target=poll,
            summary=f"向社会公开测评结果：{poll.title}",
        )
    return poll


@transaction.atomic
def record_paper(
    *,
    actor,
    poll: Poll,
    group: str,
    issued: int,
    returned: int,
    invalid: int,
    blank: int,
    counts: dict[int, dict[str, int]],
) -> PaperTally:
    """Hand-counted paper ballots of one voter group (R6), replacing earlier entries."""
    poll = _lock_poll(poll)
    if poll.state not in (PollState.OPEN, PollState.CLOSED):
        raise ValidationError("只能在测评进行中或结束后、公布前录入纸质票。")
    if invalid + blank > returned:
        raise ValidationError("无效票与空白票之和不能超过收回票数。")
    valid = returned - invalid - blank
    items = set(PollSubject.objects.filter(poll=poll).values_list("pk", flat=True))
    for item, by_choice in counts.items():
        if item not in items:
            raise ValidationError("测评对象不属于本次测评。")
        if sum(by_choice.values()) > valid:
            raise ValidationError("某位评议对象的计票数之和超过了有效票数。")
    tally, _ = PaperTally.objects.update_or_create(
        poll=poll,
        group=group,
        defaults={"issued": issued, "returned": returned, "invalid": invalid, "blank": blank},
    )
    PaperCount.objects.filter(poll=poll, group=group).delete()
    PaperCount.objects.bulk_create(
        PaperCount(poll=poll, group=group, item_id=item, choice=choice, count=n)
        for item, by_choice in counts.items()
        for choice, n in by_choice.items()
        if n
    )
    record(
        actor=actor,
        action="poll.paper_recorded",
        target=poll,
        summary=f"录入纸质票（{VoterGroup(group).label}）：发出 {issued}，收回 {returned}",
        data={
            "issued": issued,
            "returned": returned,
            "invalid": invalid,
            "blank": blank,
            "void": returned > issued,
        },
    )
    return tally


# --- results ---------------------------------------------------------------------------------


@dataclass
class ItemResult:
    item: PollSubject
    electronic: Counter = field(default_factory=Counter)
    paper: Counter = field(default_factory=Counter)
    by_group: dict = field(default_factory=dict)  # group -> Counter, only groups of >= k
    hidden_groups: list = field(default_factory=list)
    grade: grading.Grade | None = None
    # 不满意 marks of composition members (electronic and paper): a rectification poll is
    # judged against all composition members, whatever the turnout.
    members_dissatisfied: int = 0

    @property
    def total(self) -> Counter:
        return self.electronic + self.paper


@dataclass
class PollResults:
    poll: Poll
    items: list[ItemResult]
    electronic_ballots: int
    paper_tallies: list[PaperTally]
    void_groups: list[str]


def results(poll: Poll) -> PollResults:
    """Counts, rates and grades per subject from the sealed ballots and the paper counts.
    Refuses while the poll is open: only turnout may be shown then (R5)."""
    if poll.state not in (PollState.CLOSED, PollState.PUBLISHED):
        raise PermissionDenied("测评进行中只能显示投票人数。")
    rules = poll.rules_snapshot
    k = int(rules.get("min_group_size", 3))
    items = list(PollSubject.objects.filter(poll=poll).select_related("subject"))
    by_item = {str(i.pk): ItemResult(item=i) for i in items}
    group_counts: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    sealed = list(SealedBallot.objects.filter(poll=poll).values_list("group", "marks"))
    ballots_per_group = Counter(g for g, _ in sealed)
    for group, marks in sealed:
        for item_id, choice in marks.items():
            if item_id in by_item:
                by_item[item_id].electronic[choice] += 1
                group_counts[item_id][group][choice] += 1
    tallies = list(PaperTally.objects.filter(poll=poll))
    void = [t.group for t in tallies if t.void]
    for count in PaperCount.objects.filter(poll=poll).exclude(group__in=void):
        key = str(count.item_id)
        by_item[key].paper[count.choice] += count.count
        group_counts[key][count.group][count.choice] += count.count
    for t in tallies:
        if t.group not in void:
            ballots_per_group[t.group] += t.valid
    # A group with fewer than k ballots is not broken out (R5). Then no group is: with the
    # total shown, the other groups' figures would give the small group's away by subtraction.
    small = sorted(g for g, n in ballots_per_group.items() if 0 < n < k)
    for key, result in by_item.items():
        if small:
            result.hidden_groups = sorted(group_counts[key]) or small
        else:
            result.by_group = dict(group_counts[key])
        members = group_counts[key].get(VoterGroup.MEMBER, Counter())
        result.members_dissatisfied = members[Choice.DISSATISFIED]
        if poll.purpose == PollPurpose.RECTIFICATION:
            result.grade = grading.rectification(
                result.members_dissatisfied, int(rules.get("composition_total") or 0)
            )
            continue
        counts = result.total
        if rules.get("denominator") == grading.ALL_MEMBERS:
            counts = members
        result.grade = grading.grade(dict(counts), rules)
    return PollResults(
        poll=poll,
        items=[by_item[str(i.pk)] for i in items],
        electronic_ballots=len(sealed),
        paper_tallies=tallies,
        void_groups=void,
    )
