"""The meeting pages (Phase 3 评议会议) through the test client: who may and who may not open
every URL of reviews/urls_meeting.py (R9, R10), then each flow — the secret ballot (R1, R4,
R5), slip codes, check-in, 询问, the chair's control page and the projector, paper ballots
(R6), results and their publication — with assertions on the page and on the database."""

import logging
import re
from dataclasses import dataclass
from io import BytesIO

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reviews import meetings, urls_meeting
from reviews.models import (
    AgendaItem,
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
    PollState,
    PollSubject,
    Review,
    SealedBallot,
    Voter,
    VoterGroup,
)
from subjects.models import AuditEvent
from tests.factories import SubjectFactory
from tests.reviews.test_secret_ballot import build, items, vote

S, B, D, U = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED, Choice.UNKNOWN
LOGIN = "login"  # a 302 to the login page
PERSONAS = ("anon", "office", "chair", "member", "outsider", "deputy", "official", "group")
CHOICE_WORDS = ("satisfied", "dissatisfied", "basic", "满意", "不满意", "基本满意")


@pytest.fixture(autouse=True)
def _clean_cache():
    """The slip-code throttle counts failures per IP in the cache: start every test at 0."""
    cache.clear()
    yield
    cache.clear()


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    s: object  # tests.reviews.test_secret_ballot.Setting
    users: dict  # persona name -> user (None for anonymous)
    inquiry: Inquiry

    @property
    def meeting(self):
        return self.s.meeting

    @property
    def poll(self):
        return self.s.poll

    @property
    def review(self):
        return self.s.review


@pytest.fixture
def make_world(office_clerk, chair, committee_member, deputy, official_a, group_member):
    """`build()` brought to a poll stage, with the personas of the access matrix:

    - member: a composition member of the review's term, checked in, entitled to vote;
    - outsider: a committee member who is not in the composition of the term;
    - deputy: a deputy who did not check in, in a review that does not admit deputies to the
      vote: they see none of its meeting pages;
    - official: `official_a`, the official under review behind the first subject.

    Three other members have voted once the poll is open; a question is queued by `member`.
    """

    def make(stage: str = "open", **kwargs) -> World:
        s = build(office_clerk, open_poll=stage != "created", **kwargs)
        official = s.subjects[0].official
        official.user = official_a
        official.save(update_fields=["user"])
        inquiry = meetings.queue_inquiry(
            actor=s.members[0],
            meeting=s.meeting,
            subject=s.subjects[0],
            question="耕地保护目标责任制落实得怎么样？",
        )
        if stage != "created":
            for user, choices in zip(
                s.members[1:4], [(S, S, D), (S, B, D), (B, D, D)], strict=True
            ):
                vote(s.poll, user, *choices)
        if stage in ("closed", "published", "public"):
            s.poll = meetings.close_poll(actor=office_clerk, poll=s.poll)
        if stage in ("published", "public"):
            s.poll = meetings.publish_poll(actor=office_clerk, poll=s.poll)
        if stage == "public":
            Review.objects.filter(pk=s.review.pk).update(published_at=timezone.now())
        users = {
            "anon": None,
            "office": office_clerk,
            "chair": chair,
            "member": s.members[0],
            "outsider": committee_member,
            "deputy": deputy,
            "official": official_a,
            "group": group_member,
        }
        return World(s, users, inquiry)

    return make


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def ballot_data(poll, *choices, action: str | None = None, **extra) -> dict:
    """The POST of the ballot form: every subject marked (all 满意 by default)."""
    subjects = items(poll)
    choices = choices or (S,) * len(subjects)
    data = {"item-marks": "1", **extra}
    for item, choice in zip(subjects, choices, strict=False):
        data[f"item-{item.pk}"] = str(choice)
    if action:
        data["action"] = action
    return data


def checked(html: str, item) -> list[str]:
    """The radio values rendered `checked` for one subject of the ballot."""
    return re.findall(
        rf'name="item-{item.pk}" id="item-{item.pk}-(\w+)" value="\w+" autocomplete="off" checked',
        html,
    )


def snapshot() -> dict:
    """Everything a meeting page could change. Security events (a 403 writes one) are not
    decisions and are left out."""
    return {
        "meetings": list(Meeting.objects.order_by("pk").values_list("pk", "current_subject")),
        "agenda": list(AgendaItem.objects.order_by("pk").values_list("pk", "order")),
        "attendance": list(Attendance.objects.order_by("pk").values_list("pk", "user", "group")),
        "inquiries": list(
            Inquiry.objects.order_by("pk").values_list(
                "pk", "status", "answer", "follow_up_promised"
            )
        ),
        "polls": list(Poll.objects.order_by("pk").values_list("pk", "state", "public_at")),
        "voters": list(Voter.objects.order_by("pk").values_list("pk", "user", "code_hash")),
        "participations": Participation.objects.count(),
        "ballots": Ballot.objects.count(),
        "sealed": SealedBallot.objects.count(),
        "paper": list(PaperTally.objects.values_list("pk", "issued", "returned")),
        "audit": list(
            AuditEvent.objects.exclude(action__startswith="security.").values_list("pk", flat=True)
        ),
    }


def decisions() -> int:
    """Audit events other than logins and security events."""
    return (
        AuditEvent.objects.exclude(action__startswith="security.")
        .exclude(action__startswith="auth.")
        .count()
    )


def outcome(response) -> str | int:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    return response.status_code


# --- 1. the access matrix (R9, R10) -------------------------------------------------------------


def url_of(name: str, w: World) -> str:
    m, p = w.meeting.pk, w.poll.pk
    args = {
        "meetings": [],
        "meeting_create": [w.review.pk],
        "meeting": [m],
        "agenda_move": [m, AgendaItem.objects.filter(meeting=w.meeting).order_by("order")[0].pk],
        "checkin_desk": [m],
        "checkin_person": [m, w.s.members[7].pk],
        "inquiries": [m],
        "inquiry_call": [m, w.inquiry.pk],
        "inquiry_answer": [m, w.inquiry.pk],
        "control": [m],
        "set_current": [m],
        "poll_create": [m],
        "screen": [m],
        "screen_live": [m],
        "poll_open": [p],
        "poll_close": [p],
        "poll_publish": [p],
        "poll_make_public": [p],
        "voter_codes": [p],
        "paper_entry": [p],
        "poll_results": [p],
        "poll_results_xlsx": [p],
        "self_checkin": [m, w.meeting.checkin_token],
        "attend": [m],
        "attend_status": [m],
        "ask": [m],
        "inquiry_withdraw": [m, w.inquiry.pk],
        "ballot": [p],
        "ballot_done": [p],
        "vote_with_code": [],
        "vote_code_done": [],
    }[name]
    return reverse(f"reviews:{name}", args=args)


STAFF_GET = (LOGIN, 200, 200, 403, 403, 403, 403, 403)
OFFICE_GET = (LOGIN, 200, 403, 403, 403, 403, 403, 403)
STAFF_POST_ONLY = (LOGIN, 405, 405, 403, 403, 403, 403, 403)
OFFICE_POST_ONLY = (LOGIN, 405, 403, 403, 403, 403, 403, 403)
ATTENDEE_GET = (LOGIN, 403, 404, 200, 404, 404, 403, 403)
EVERYONE = (200,) * 8

# GET with the poll open. The chair holds the council and committee-member roles but is not in
# the composition of the term: it passes roles_required on the attendee pages and the fetcher
# answers 404. A POST-only page gives 405 to the right roles and 403 to the wrong ones.
#                      anon   office chair member outsider deputy official group
GET_MATRIX = {
    "meetings": STAFF_GET,
    "meeting_create": OFFICE_GET,
    "meeting": STAFF_GET,
    "agenda_move": OFFICE_POST_ONLY,
    "checkin_desk": OFFICE_GET,
    "checkin_person": OFFICE_POST_ONLY,
    "inquiries": STAFF_GET,
    "inquiry_call": STAFF_POST_ONLY,
    "inquiry_answer": STAFF_POST_ONLY,
    "control": STAFF_GET,
    "set_current": STAFF_POST_ONLY,
    "poll_create": STAFF_POST_ONLY,
    "screen": STAFF_GET,
    "screen_live": STAFF_GET,
    "poll_open": STAFF_POST_ONLY,
    "poll_close": STAFF_POST_ONLY,
    "poll_publish": STAFF_POST_ONLY,
    "poll_make_public": OFFICE_POST_ONLY,
    "voter_codes": OFFICE_GET,
    "paper_entry": OFFICE_GET,
    # Results while the poll is open: nobody, staff included (R5).
    "poll_results": (LOGIN, 404, 404, 404, 404, 404, 403, 403),
    "poll_results_xlsx": (LOGIN, 404, 404, 404, 404, 404, 403, 403),
    # Any logged-in user holding the token (printed at the door); checking in is refused
    # to those without a seat (see the POST matrix).
    "self_checkin": (LOGIN, 200, 200, 200, 200, 200, 200, 200),
    "attend": ATTENDEE_GET,
    "attend_status": ATTENDEE_GET,
    "ask": ATTENDEE_GET,
    "inquiry_withdraw": (LOGIN, 403, 405, 405, 405, 405, 403, 403),
    # Deputies do not vote in this review and the deputy did not check in: no seat, 404.
    "ballot": (LOGIN, 404, 404, 200, 404, 404, 404, 404),
    # Not voted yet: back to the ballot.
    "ballot_done": (LOGIN, 404, 404, 302, 404, 404, 404, 404),
    "vote_with_code": EVERYONE,
    "vote_code_done": EVERYONE,
}


def test_the_matrix_covers_every_meeting_url():
    names = {pattern.name for pattern in urls_meeting.urlpatterns}
    assert set(GET_MATRIX) == names
    assert set(POST_MATRIX) == names


@pytest.mark.parametrize("name", sorted(GET_MATRIX))
def test_get_matrix(make_world, name):
    """Each persona's GET of one page: the status, and a GET never changes the database."""
    w = make_world("open")
    url = url_of(name, w)
    got = {}
    for persona in PERSONAS:
        client = client_for(w.users[persona])
        before = snapshot()
        response = client.get(url)
        result = outcome(response)
        got[persona] = f"{result} changed" if snapshot() != before else result
    assert got == dict(zip(PERSONAS, GET_MATRIX[name], strict=True))


def _meeting_data(w):
    return {
        "session_name": "第二十四次会议",
        "starts_at": "2025-07-01T09:00",
        "place": "常委会会议室",
    }


def _paper_data(w):
    return {"group": "member", "issued": "2", "returned": "2", "invalid": "0", "blank": "0"}


def _ballot_submit(w):
    return ballot_data(w.poll, action="submit")


C302, C200 = "302 changed", "200 changed"
STAFF_POST = (LOGIN, C302, C302, 403, 403, 403, 403, 403)
OFFICE_POST = (LOGIN, C302, 403, 403, 403, 403, 403, 403)
STAFF_GET_ONLY = (LOGIN, 405, 405, 403, 403, 403, 403, 403)
ATTENDEE_GET_ONLY = (LOGIN, 403, 405, 405, 405, 405, 403, 403)

# POST by each persona: (poll stage, form data, expected). Every POST runs in a savepoint
# rolled back afterwards, so each persona starts from the same state, in which the action
# succeeds for whoever may take it ("changed": the database changed). Everyone else gets
# 403/404/405 and the database is left exactly as it was.
POST_MATRIX = {
    "meetings": ("open", None, STAFF_GET_ONLY),
    "meeting_create": ("open", _meeting_data, OFFICE_POST),
    "meeting": ("open", None, STAFF_GET_ONLY),
    "agenda_move": ("created", lambda w: {"direction": "down"}, OFFICE_POST),
    "checkin_desk": ("open", lambda w: {"person": str(w.s.members[7].pk)}, OFFICE_POST),
    "checkin_person": ("open", None, OFFICE_POST),
    # The chair may see the 询问 list but not enter questions for others (403 in the view).
    "inquiries": (
        "open",
        lambda w: {
            "asker": str(w.s.members[1].pk),
            "subject": str(w.s.subjects[1].pk),
            "question": "执法检查发现的问题整改了吗？",
        },
        OFFICE_POST,
    ),
    "inquiry_call": ("open", None, STAFF_POST),
    "inquiry_answer": (
        "open",
        lambda w: {"answer": "会后书面答复。", "follow_up_promised": "on"},
        STAFF_POST,
    ),
    "control": ("open", None, STAFF_GET_ONLY),
    "set_current": ("open", lambda w: {"subject": str(w.s.subjects[1].pk)}, STAFF_POST),
    "poll_create": ("open", None, STAFF_POST),
    "screen": ("open", None, STAFF_GET_ONLY),
    "screen_live": ("open", None, STAFF_GET_ONLY),
    "poll_open": ("created", None, STAFF_POST),
    "poll_close": ("open", None, STAFF_POST),
    "poll_publish": ("closed", None, STAFF_POST),
    "poll_make_public": ("public", None, OFFICE_POST),
    "voter_codes": (
        "created",
        lambda w: {"count": "2"},
        (LOGIN, C200, 403, 403, 403, 403, 403, 403),
    ),
    "paper_entry": ("open", _paper_data, OFFICE_POST),
    "poll_results": ("published", None, (LOGIN, 405, 405, 405, 405, 405, 403, 403)),
    "poll_results_xlsx": ("published", None, (LOGIN, 405, 405, 405, 405, 405, 403, 403)),
    # Only the deputy has a seat and is not checked in yet; the member is checked in already;
    # the others are told they need not check in.
    "self_checkin": ("open", None, (LOGIN, 200, 200, 200, 200, C302, 200, 200)),
    "attend": ("open", None, ATTENDEE_GET_ONLY),
    "attend_status": ("open", None, ATTENDEE_GET_ONLY),
    "ask": (
        "open",
        lambda w: {"subject": str(w.s.subjects[0].pk), "question": "工作目标完成了吗？"},
        (LOGIN, 403, 404, C302, 404, 404, 403, 403),
    ),
    # Only the asker may withdraw: the deputy sees the meeting, not someone else's question.
    "inquiry_withdraw": ("open", None, (LOGIN, 403, 404, C302, 404, 404, 403, 403)),
    "ballot": ("open", _ballot_submit, (LOGIN, 404, 404, C302, 404, 404, 404, 404)),
    "ballot_done": ("open", None, (LOGIN, 405, 405, 405, 405, 405, 405, 405)),
    "vote_with_code": ("open", lambda w: {"code": "WRONG234"}, EVERYONE),
    "vote_code_done": ("open", None, (405,) * 8),
}


@pytest.mark.parametrize("name", sorted(POST_MATRIX))
def test_post_matrix(make_world, name):
    stage, data, expected = POST_MATRIX[name]
    w = make_world(stage)
    url = url_of(name, w)
    payload = data(w) if data else {}
    got = {}
    for persona in PERSONAS:
        with transaction.atomic():
            client = client_for(w.users[persona])
            before = snapshot()
            response = client.post(url, payload)
            result = outcome(response)
            got[persona] = f"{result} changed" if snapshot() != before else result
            transaction.set_rollback(True)
    assert got == dict(zip(PERSONAS, expected, strict=True))


@pytest.mark.parametrize("stage", ["published", "closed"])
def test_results_matrix_once_closed_and_published(make_world, stage):
    """Office and council see results once closed; attendees once published; never an
    official, a working-group member or a member of another term."""
    w = make_world(stage)
    expected = {
        "closed": (LOGIN, 200, 200, 404, 404, 404, 403, 403),
        # The deputy has no seat in this review (deputies are not admitted to its vote).
        "published": (LOGIN, 200, 200, 200, 404, 404, 403, 403),
    }[stage]
    for name in ("poll_results", "poll_results_xlsx"):
        got = {p: outcome(client_for(w.users[p]).get(url_of(name, w))) for p in PERSONAS}
        assert got == dict(zip(PERSONAS, expected, strict=True)), name


@pytest.mark.parametrize("stage", ["created", "open", "closed", "public"])
def test_an_official_under_review_never_sees_a_ballot_results_or_screen(make_world, stage):
    w = make_world(stage)
    client = client_for(w.users["official"])
    names = (
        "ballot",
        "ballot_done",
        "poll_results",
        "poll_results_xlsx",
        "screen",
        "screen_live",
        "control",
        "attend",
        "attend_status",
        "ask",
        "meeting",
        "inquiries",
    )
    for name in names:
        response = client.get(url_of(name, w))
        assert response.status_code in (403, 404), (name, response.status_code)
        assert w.s.subjects[1].display_name not in page(response), name
    # Nor can they cast a ballot with a made-up code.
    response = client.post(reverse("reviews:vote_with_code"), {"code": "ABCDEFGH"})
    assert "投票码不正确" in page(response)
    assert "ballot-item" not in page(response)


def test_out_of_scope_answers_exactly_like_a_missing_meeting(make_world):
    """R10: a member of another term cannot tell an existing meeting from a missing one."""
    w = make_world("open")
    outsider = client_for(w.users["outsider"])
    missing = 10**6
    for name, exists, absent in [
        ("attend", [w.meeting.pk], [missing]),
        ("ask", [w.meeting.pk], [missing]),
        ("ballot", [w.poll.pk], [missing]),
    ]:
        a = outsider.get(reverse(f"reviews:{name}", args=exists))
        b = outsider.get(reverse(f"reviews:{name}", args=absent))
        assert a.status_code == b.status_code == 404
        assert page(a) == page(b)
    office = client_for(w.users["office"])
    assert office.get(reverse("reviews:meeting", args=[missing])).status_code == 404
    assert office.get(reverse("reviews:poll_results", args=[missing])).status_code == 404


def test_members_see_no_meeting_before_the_review_reaches_its_meeting(make_world):
    w = make_world("open")
    Review.objects.filter(pk=w.review.pk).update(phase="investigate")
    member = client_for(w.users["member"])
    assert member.get(url_of("attend", w)).status_code == 404
    assert member.get(url_of("ballot", w)).status_code == 200  # a frozen voter keeps the ballot
    home = member.get(reverse("reviews:member_home"))
    assert w.meeting.session_name not in page(home)


def test_member_home_lists_the_meetings_of_the_term(make_world):
    w = make_world("open")
    home = client_for(w.users["member"]).get(reverse("reviews:member_home"))
    assert home.status_code == 200
    html = page(home)
    assert w.meeting.session_name in html
    assert reverse("reviews:attend", args=[w.meeting.pk]) in html
    assert "进入会议投票" in html
    other = page(client_for(w.users["outsider"]).get(reverse("reviews:member_home")))
    assert w.meeting.session_name not in other
    assert "目前没有进行中的评议会议" in other
    assert client_for(w.users["official"]).get(reverse("reviews:member_home")).status_code == 403


# --- 2. the ballot ------------------------------------------------------------------------------


def test_ballot_mark_review_edit_submit_and_only_once(make_world, caplog):
    w = make_world("open")
    poll, member = w.poll, w.users["member"]
    voter = meetings.voter_for_user(poll, member)
    url = reverse("reviews:ballot", args=[poll.pk])
    client = client_for(member)
    subjects = items(poll)
    audit_before = decisions()
    caplog.set_level(logging.DEBUG)

    response = client.get(url)
    html = page(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    for item in subjects:
        assert item.subject.display_name in html
        for value in ("satisfied", "basic", "dissatisfied"):
            assert f'id="item-{item.pk}-{value}"' in html
        assert f'id="item-{item.pk}-unknown"' not in html  # 不了解 is off by default
        assert checked(html, item) == []

    choices = (B, D, S)
    # Review: the summary with the chosen labels, nothing recorded yet.
    review = client.post(url, ballot_data(poll, *choices))
    html = page(review)
    assert review.status_code == 200 and "请核对您的选择" in html
    for item, choice in zip(subjects, choices, strict=True):
        assert f'<input type="hidden" name="item-{item.pk}" value="{choice}">' in html
        assert f'<span class="choice-tag choice-{choice}">{Choice(choice).label}</span>' in html
    assert not Participation.objects.filter(voter=voter).exists()

    # 返回修改 keeps every choice checked, without error messages.
    edit = client.post(url, ballot_data(poll, *choices, action="edit"))
    html = page(edit)
    assert "请核对您的选择" not in html and "还有" not in html
    for item, choice in zip(subjects, choices, strict=True):
        assert checked(html, item) == [choice]

    # Submit: one participation, one ballot with exactly these marks, and a redirect whose URL
    # carries no choice (R4).
    done = client.post(url, ballot_data(poll, *choices, action="submit"))
    assert done.status_code == 302
    assert done["Location"] == reverse("reviews:ballot_done", args=[poll.pk])
    assert not any(word in done["Location"] for word in CHOICE_WORDS)
    assert Participation.objects.filter(poll=poll, voter=voter).count() == 1
    mine = {str(item.pk): str(c) for item, c in zip(subjects, choices, strict=True)}
    assert Ballot.objects.filter(poll=poll, marks=mine).count() == 1
    html = page(client.get(done["Location"]))
    assert "投票成功" in html
    for label in ("满意", "基本满意", "不满意"):
        assert label not in html

    # Again: "您已投票", by GET and by POST, and still one of each.
    assert "您已投票" in page(client.get(url))
    again = client.post(url, ballot_data(poll, S, S, S, action="submit"))
    assert again.status_code == 200 and "您已投票" in page(again)
    assert "您已投票" in page(client_for(member).get(url))  # a second browser window
    assert Participation.objects.filter(poll=poll, voter=voter).count() == 1
    assert Ballot.objects.filter(poll=poll).count() == 4  # three earlier voters and this one
    assert Ballot.objects.filter(poll=poll, marks=mine).count() == 1

    # No audit event and no log line was written by voting, and none holds a choice (R4).
    assert decisions() == audit_before
    for event in AuditEvent.objects.all():
        text = f"{event.action} {event.summary} {event.data} {event.target_repr}"
        assert not any(word in text for word in ("dissatisfied", "basic", "满意")), text
    for record in caplog.records:
        assert not any(word in record.getMessage() for word in ("dissatisfied", "不满意"))


def test_incomplete_ballot_is_shown_again_with_the_marks_kept(make_world):
    w = make_world("open")
    poll, client = w.poll, client_for(w.users["member"])
    first, second, third = items(poll)
    url = reverse("reviews:ballot", args=[poll.pk])
    for action in ("review", "submit"):
        response = client.post(url, ballot_data(poll, D, action=action))
        html = page(response)
        assert response.status_code == 200
        assert "还有 2 位评议对象没有选择" in html
        assert checked(html, first) == ["dissatisfied"]
        assert checked(html, second) == checked(html, third) == []
        assert f"请为{second.subject.display_name}作出选择" in html
        assert "请核对您的选择" not in html
    assert not Participation.objects.filter(voter__user=w.users["member"]).exists()
    # A choice that is not offered (不了解 is off) is refused too.
    response = client.post(url, ballot_data(poll, S, S, U, action="submit"))
    assert "还有 1 位评议对象没有选择" in page(response)
    assert not Participation.objects.filter(voter__user=w.users["member"]).exists()


def test_unknown_is_offered_when_the_rules_allow_it(make_world):
    w = make_world("open", allow_unknown=True)
    html = page(client_for(w.users["member"]).get(reverse("reviews:ballot", args=[w.poll.pk])))
    for item in items(w.poll):
        assert f'id="item-{item.pk}-unknown"' in html
    response = client_for(w.users["member"]).post(
        reverse("reviews:ballot", args=[w.poll.pk]), ballot_data(w.poll, U, U, S, action="submit")
    )
    assert response.status_code == 302


def test_checked_in_after_the_poll_opened_is_not_entitled(make_world, office_clerk):
    w = make_world("open")
    late = w.s.members[6]
    meetings.check_in(actor=office_clerk, meeting=w.meeting, user=late)
    client = client_for(late)
    url = reverse("reviews:ballot", args=[w.poll.pk])
    assert "您不在本次测评的投票人名单中" in page(client.get(url))
    response = client.post(url, ballot_data(w.poll, action="submit"))
    assert "您不在本次测评的投票人名单中" in page(response)
    assert Participation.objects.filter(poll=w.poll).count() == 3
    status = page(client.get(reverse("reviews:attend_status", args=[w.meeting.pk])))
    assert "不在本次测评的投票人名单中" in status
    assert reverse("reviews:ballot", args=[w.poll.pk]) not in status
    # ballot_done does not pretend they voted.
    done = client.get(reverse("reviews:ballot_done", args=[w.poll.pk]))
    assert done.status_code == 302 and done["Location"] == url


@pytest.mark.parametrize(
    ("stage", "heading"), [("created", "测评尚未开始"), ("closed", "投票已结束")]
)
def test_ballot_before_opening_and_after_closing(make_world, stage, heading):
    w = make_world(stage)
    client = client_for(w.users["member"])
    url = reverse("reviews:ballot", args=[w.poll.pk])
    html = page(client.get(url))
    assert heading in html and "ballot-item" not in html
    participations = Participation.objects.count()
    response = client.post(url, ballot_data(w.poll, action="submit"))
    assert response.status_code == 200 and heading in page(response)
    assert Participation.objects.count() == participations
    status = page(client.get(reverse("reviews:attend_status", args=[w.meeting.pk])))
    assert reverse("reviews:ballot", args=[w.poll.pk]) not in status


def test_attend_status_follows_the_poll(make_world, office_clerk):
    w = make_world("created")
    client = client_for(w.users["member"])
    url = reverse("reviews:attend_status", args=[w.meeting.pk])
    assert "民主测评尚未开始" in page(client.get(url))
    meetings.open_poll(actor=office_clerk, poll=w.poll)
    html = page(client.get(url))
    assert "开始投票" in html and reverse("reviews:ballot", args=[w.poll.pk]) in html
    vote(w.poll, w.users["member"])
    assert "您已投票" in page(client.get(url))
    not_checked_in = page(client_for(w.s.members[8]).get(url))
    assert "您尚未签到" in not_checked_in


# --- 3. slip codes ------------------------------------------------------------------------------

SLIP_CODE = re.compile(r'<div class="slip-code">([A-Z2-9]{4}) ([A-Z2-9]{4})</div>')


def issue_codes(w, count: int) -> list[str]:
    response = client_for(w.users["office"]).post(
        reverse("reviews:voter_codes", args=[w.poll.pk]), {"count": str(count)}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return ["".join(parts) for parts in SLIP_CODE.findall(page(response))]


def test_voter_codes_are_shown_once_and_only_hashes_are_kept(make_world, office_clerk):
    w = make_world("created", deputies_vote=True)
    audit_before = decisions()
    codes = issue_codes(w, 5)
    assert len(codes) == len(set(codes)) == 5
    voters = list(Voter.objects.filter(poll=w.poll, code_hash__isnull=False))
    assert len(voters) == 5
    assert {v.code_hash for v in voters} == {meetings.hash_code(c) for c in codes}
    for voter in voters:
        assert voter.user_id is None and voter.group == VoterGroup.DEPUTY
        assert voter.code_hash not in codes
    # No code in any stored text: voters, audit trail.
    stored = " ".join(
        f"{e.summary} {e.data}" for e in AuditEvent.objects.filter(pk__gt=0)
    ) + " ".join(str(v) for v in Voter.objects.values_list("code_hash", flat=True))
    assert not any(code in stored for code in codes)
    assert AuditEvent.objects.filter(action="poll.codes_issued").count() == 1
    assert decisions() == audit_before + 1
    # The codes page now counts them, and cannot show them again.
    html = page(client_for(office_clerk).get(reverse("reviews:voter_codes", args=[w.poll.pk])))
    assert "已生成 5 个" in html
    assert not any(code[:4] in html and code[4:] in html for code in codes)


def test_no_codes_once_the_poll_is_open(make_world):
    w = make_world("open", deputies_vote=True)
    response = client_for(w.users["office"]).post(
        reverse("reviews:voter_codes", args=[w.poll.pk]), {"count": "3"}
    )
    assert response.status_code == 200
    assert "测评开始后不能再生成投票码" in page(response)
    assert not Voter.objects.filter(code_hash__isnull=False).exists()


def test_voting_with_a_slip_code(make_world, office_clerk):
    w = make_world("created", deputies_vote=True)
    code, other = issue_codes(w, 2)
    meetings.open_poll(actor=office_clerk, poll=w.poll)
    client = Client()  # no login
    url = reverse("reviews:vote_with_code")
    assert "列席代表投票" in page(client.get(url))
    assert f'value="{code}"' in page(client.get(url, {"code": code}))  # from the QR code

    # Typed in lower case with a space, as people do.
    ballot = client.post(url, {"code": f"{code[:4].lower()} {code[4:].lower()}"})
    html = page(ballot)
    assert ballot.status_code == 200
    for item in items(w.poll):
        assert f'id="item-{item.pk}-satisfied"' in html
    assert f'<input type="hidden" name="code" value="{code}">' in html
    assert f'action="{url}"' in html

    review = client.post(url, ballot_data(w.poll, S, B, D, code=code))
    assert "请核对您的选择" in page(review)
    assert f'name="code" value="{code}"' in page(review)
    done = client.post(url, ballot_data(w.poll, S, B, D, action="submit", code=code))
    assert done.status_code == 302
    assert done["Location"] == reverse("reviews:vote_code_done")
    assert code not in done["Location"]
    assert "投票成功" in page(client.get(done["Location"]))
    voter = Voter.objects.get(code_hash=meetings.hash_code(code))
    assert Participation.objects.filter(voter=voter).count() == 1
    assert Ballot.objects.filter(poll=w.poll, group=VoterGroup.DEPUTY).count() == 1

    # Reused: "您已投票", no second ballot.
    again = client.post(url, ballot_data(w.poll, action="submit", code=code))
    assert "您已投票" in page(again)
    assert "您已投票" in page(client.post(url, {"code": code}))
    assert Participation.objects.filter(voter=voter).count() == 1
    assert Ballot.objects.filter(poll=w.poll, group=VoterGroup.DEPUTY).count() == 1
    # The other slip still works.
    assert "ballot-item" in page(client.post(url, {"code": other}))


def test_codes_are_dropped_when_deputies_do_not_vote(make_world, office_clerk):
    w = make_world("created", deputies_vote=False)
    (code,) = issue_codes(w, 1)
    meetings.open_poll(actor=office_clerk, poll=w.poll)
    response = Client().post(reverse("reviews:vote_with_code"), {"code": code})
    assert "投票码不正确" in page(response)


def test_wrong_codes_are_throttled_per_ip(make_world, office_clerk):
    w = make_world("created", deputies_vote=True)
    (code,) = issue_codes(w, 1)
    meetings.open_poll(actor=office_clerk, poll=w.poll)
    url = reverse("reviews:vote_with_code")
    client = Client()
    for attempt in range(20):
        response = client.post(url, {"code": f"WRONG{attempt:03d}"})
        assert "投票码不正确" in page(response), attempt
    assert AuditEvent.objects.filter(action="poll.code_throttled").count() == 1
    refused = client.post(url, {"code": code})
    assert "投票码输错次数过多" in page(refused)
    assert "ballot-item" not in page(refused)
    refused = client.post(url, ballot_data(w.poll, action="submit", code=code))
    assert "投票码输错次数过多" in page(refused)
    assert not Participation.objects.filter(voter__code_hash__isnull=False).exists()
    # Another address is not held up.
    elsewhere = Client(REMOTE_ADDR="10.20.30.40").post(url, {"code": code})
    assert "ballot-item" in page(elsewhere)


# --- 4. check-in --------------------------------------------------------------------------------


def quorum_shown(html: str) -> tuple[int, int]:
    match = re.search(
        r'<span class="display-5 fw-bold">(\d+)</span><span class="fs-5 text-body-secondary">'
        r"/ (\d+) 名组成人员到会",
        html,
    )
    assert match, "no quorum box"
    return int(match[1]), int(match[2])


def test_desk_check_in_and_quorum(make_world, office_clerk):
    w = make_world("created", present=4)
    client = client_for(office_clerk)
    desk = reverse("reviews:checkin_desk", args=[w.meeting.pk])
    html = page(client.get(desk))
    assert quorum_shown(html) == (4, 9)
    assert "未过半数：需要 5 人，还差 1 人" in html
    assert "扫码签到" in html and w.meeting.checkin_token in html
    person = w.s.members[4]
    response = client.post(reverse("reviews:checkin_person", args=[w.meeting.pk, person.pk]))
    assert response.status_code == 302 and response["Location"] == desk
    attendance = Attendance.objects.get(meeting=w.meeting, user=person)
    assert attendance.group == VoterGroup.MEMBER and attendance.checked_in_by == office_clerk
    html = page(client.get(desk))
    assert f"{person.full_name} 已签到。" in html
    assert quorum_shown(html) == (5, 9)
    assert "到会人数已超过全体组成人员的半数（5 人）" in html
    # Twice is harmless.
    client.post(reverse("reviews:checkin_person", args=[w.meeting.pk, person.pk]))
    assert Attendance.objects.filter(meeting=w.meeting, user=person).count() == 1
    # By name, with the form.
    response = client.post(desk, {"person": str(w.s.members[5].pk)})
    assert response.status_code == 302
    assert Attendance.objects.filter(meeting=w.meeting, user=w.s.members[5]).exists()
    assert quorum_shown(page(client.get(reverse("reviews:control", args=[w.meeting.pk])))) == (
        6,
        9,
    )


def test_desk_refuses_someone_without_a_seat(make_world, office_clerk):
    w = make_world("created")
    official = w.users["official"]
    client = client_for(office_clerk)
    response = client.post(
        reverse("reviews:checkin_person", args=[w.meeting.pk, official.pk]), follow=True
    )
    assert "不是本届常委会组成人员，也不是人大代表，无需签到" in page(response)
    assert not Attendance.objects.filter(user=official).exists()
    # The form does not even offer them.
    response = client.post(
        reverse("reviews:checkin_desk", args=[w.meeting.pk]), {"person": str(official.pk)}
    )
    assert response.status_code == 200 and "所选项目不存在或已不可选" in page(response)
    assert not Attendance.objects.filter(user=official).exists()


def test_self_check_in_with_the_token(make_world):
    w = make_world("created")
    member = w.s.members[8]
    client = client_for(member)
    url = reverse("reviews:self_checkin", args=[w.meeting.pk, w.meeting.checkin_token])
    html = page(client.get(url))
    assert "请确认签到" in html and "确认签到" in html
    assert not Attendance.objects.filter(user=member).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:attend", args=[w.meeting.pk])
    attendance = Attendance.objects.get(meeting=w.meeting, user=member)
    assert attendance.checked_in_by is None and attendance.group == VoterGroup.MEMBER
    assert "签到成功" in page(client.get(response["Location"]))
    assert "您已签到" in page(client.get(url))
    assert client.post(url).status_code == 200  # again: harmless
    assert Attendance.objects.filter(user=member).count() == 1


def test_self_check_in_with_a_wrong_token_is_404(make_world):
    w = make_world("created")
    member = w.s.members[8]
    client = client_for(member)
    for token in ("wrong-token", w.meeting.checkin_token[:-1]):
        url = reverse("reviews:self_checkin", args=[w.meeting.pk, token])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    other = reverse("reviews:self_checkin", args=[10**6, w.meeting.checkin_token])
    assert client.post(other).status_code == 404
    assert not Attendance.objects.filter(user=member).exists()


def test_an_official_cannot_check_in(make_world):
    w = make_world("created")
    official = w.users["official"]
    url = reverse("reviews:self_checkin", args=[w.meeting.pk, w.meeting.checkin_token])
    response = client_for(official).post(url)
    assert response.status_code == 200
    assert "不是本届常委会组成人员，也不是人大代表，无需签到" in page(response)
    assert "进入会议" not in page(response)
    assert not Attendance.objects.filter(user=official).exists()


# --- 5. 询问 ------------------------------------------------------------------------------------


def test_member_queues_a_question_and_withdraws_it(make_world):
    w = make_world("open")
    asker = w.s.members[1]
    client = client_for(asker)
    url = reverse("reviews:ask", args=[w.meeting.pk])
    html = page(client.get(url))
    onsite, written = w.s.subjects[1], w.s.subjects[2]
    assert f'value="{onsite.pk}"' in html and f'value="{written.pk}"' not in html

    response = client.post(url, {"subject": str(onsite.pk), "question": "整改时限是什么？"})
    assert response.status_code == 302 and response["Location"] == url
    inquiry = Inquiry.objects.get(asker=asker)
    assert inquiry.subject == onsite and inquiry.status == InquiryStatus.QUEUED
    html = page(client.get(url))
    assert "您的询问已提交" in html
    assert "整改时限是什么？" in html
    assert "排队第 2 位" in html  # behind the question `member` queued first
    assert "排队第 1 位" in page(client_for(w.users["member"]).get(url))

    # A 书面述职 subject is not on the list: refused, the question kept (R23).
    response = client.post(url, {"subject": str(written.pk), "question": "书面报告里的数据？"})
    assert response.status_code == 200
    assert "所选项目不存在或已不可选" in page(response)
    assert "书面报告里的数据？" in page(response)
    assert Inquiry.objects.filter(asker=asker).count() == 1

    # Someone else's question cannot be withdrawn; one's own can.
    other = reverse("reviews:inquiry_withdraw", args=[w.meeting.pk, w.inquiry.pk])
    assert client.post(other).status_code == 404
    assert Inquiry.objects.get(pk=w.inquiry.pk).status == InquiryStatus.QUEUED
    mine = reverse("reviews:inquiry_withdraw", args=[w.meeting.pk, inquiry.pk])
    response = client.post(mine, follow=True)
    assert "已撤回询问" in page(response)
    assert Inquiry.objects.get(pk=inquiry.pk).status == InquiryStatus.WITHDRAWN
    assert "整改时限是什么？" not in page(client.get(url))
    assert "排队第" not in page(client.get(url))
    # Withdrawn questions leave the staff list.
    staff = page(
        client_for(w.users["office"]).get(reverse("reviews:inquiries", args=[w.meeting.pk]))
    )
    assert "整改时限是什么？" not in staff and w.inquiry.question in staff


def test_staff_call_and_answer_and_the_chair_runs_the_floor(make_world):
    w = make_world("open")
    inquiry = w.inquiry
    chair = client_for(w.users["chair"])
    list_url = reverse("reviews:inquiries", args=[w.meeting.pk])
    html = page(chair.get(list_url))
    assert inquiry.question in html and "请发言" in html
    assert "登记询问" not in html  # no entry form for the chair

    response = chair.post(reverse("reviews:inquiry_call", args=[w.meeting.pk, inquiry.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{list_url}#inquiry-{inquiry.pk}"
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CALLED
    # Called: the asker can no longer withdraw it.
    member = client_for(w.users["member"])
    refused = member.post(
        reverse("reviews:inquiry_withdraw", args=[w.meeting.pk, inquiry.pk]), follow=True
    )
    assert "询问已经开始或已答复，不能撤回" in page(refused)
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CALLED
    # Calling twice is refused with a message.
    again = chair.post(
        reverse("reviews:inquiry_call", args=[w.meeting.pk, inquiry.pk]), follow=True
    )
    assert "该询问不在排队中" in page(again)

    office = client_for(w.users["office"])
    response = office.post(
        reverse("reviews:inquiry_answer", args=[w.meeting.pk, inquiry.pk]),
        {"answer": "今年完成整改，会后书面报告。", "follow_up_promised": "on"},
        follow=True,
    )
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert inquiry.answer == "今年完成整改，会后书面报告。" and inquiry.follow_up_promised
    html = page(response)
    assert "今年完成整改，会后书面报告。" in html and "承诺书面答复" in html
    assert AuditEvent.objects.filter(action="inquiry.called").count() == 1
    assert AuditEvent.objects.filter(action="inquiry.recorded").count() == 1
    # The chair may record an answer too.
    chair.post(
        reverse("reviews:inquiry_answer", args=[w.meeting.pk, inquiry.pk]),
        {"answer": "补充：已列入年度计划。"},
    )
    inquiry.refresh_from_db()
    assert inquiry.answer == "补充：已列入年度计划。" and not inquiry.follow_up_promised
    # The chair cannot enter questions for members.
    forbidden = chair.post(
        list_url,
        {"asker": str(w.s.members[2].pk), "subject": str(w.s.subjects[0].pk), "question": "x"},
    )
    assert forbidden.status_code == 403
    assert Inquiry.objects.count() == 1
    # The office can.
    response = office.post(
        list_url,
        {"asker": str(w.s.members[2].pk), "subject": str(w.s.subjects[0].pk), "question": "问"},
    )
    assert response.status_code == 302
    assert Inquiry.objects.get(question="问").asker == w.s.members[2]


def test_inquiries_of_another_meeting_are_404(make_world, office_clerk):
    w = make_world("open")
    other = meetings.create_meeting(
        actor=office_clerk,
        review=w.review,
        session_name="第二十四次会议",
        starts_at=timezone.now(),
        place="会议室",
    )
    client = client_for(office_clerk)
    for name in ("inquiry_call", "inquiry_answer"):
        response = client.post(reverse(f"reviews:{name}", args=[other.pk, w.inquiry.pk]))
        assert response.status_code == 404
    assert Inquiry.objects.get(pk=w.inquiry.pk).status == InquiryStatus.QUEUED


# --- 6. control and the projector ---------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_create_open_close_publish_from_the_control_page(make_world, office_clerk, chair):
    w = make_world("published")
    office = client_for(office_clerk)
    detail = reverse("reviews:detail", args=[w.review.pk])
    create = reverse("reviews:meeting_create", args=[w.review.pk])
    assert create in page(office.get(detail))
    assert "县人大常委会机关会议室" in page(office.get(create))
    refused = office.post(create, {"session_name": "", "starts_at": "明天", "place": "第一会议室"})
    assert "请填写会议名称。" in page(refused)
    assert "请按“年-月-日 时:分”填写会议时间。" in page(refused)
    assert 'value="第一会议室"' in page(refused)
    response = office.post(
        create,
        {"session_name": "第二十四次会议", "starts_at": "2025-07-02T09:00", "place": "第一会议室"},
    )
    meeting = Meeting.objects.get(session_name="第二十四次会议")
    assert response["Location"] == reverse("reviews:meeting", args=[meeting.pk])
    agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("order"))
    assert [a.subject.form for a in agenda] == ["onsite", "onsite", "written"]
    control = reverse("reviews:control", args=[meeting.pk])
    assert "尚未创建民主测评" in page(office.get(control))
    html = page(office.get(detail))
    assert "第二十四次会议" in html and control in html

    response = office.post(reverse("reviews:poll_create", args=[meeting.pk]), follow=True)
    poll = Poll.objects.get(meeting=meeting)
    assert poll.state == PollState.CREATED and poll.items.count() == 3
    assert "已创建民主测评" in page(response)
    html = page(response)
    assert "开始投票" in html and "disabled" in html  # no quorum yet

    # Without the quorum: refused, with the numbers, in Chinese.
    response = office.post(reverse("reviews:poll_open", args=[poll.pk]), follow=True)
    assert (
        "出席的常委会组成人员 0 人，未超过全体组成人员 9 人的半数（至少需要 5 人），不能开始测评。"
        in messages_of(response)
    )
    poll.refresh_from_db()
    assert poll.state == PollState.CREATED

    for member in w.s.members[:5]:
        office.post(reverse("reviews:checkin_person", args=[meeting.pk, member.pk]))
    chair_client = client_for(chair)
    response = chair_client.post(reverse("reviews:poll_open", args=[poll.pk]), follow=True)
    poll.refresh_from_db()
    assert poll.state == PollState.OPEN and poll.entitled_count == 5
    assert "民主测评已开始，请各位组成人员在手机上投票。" in messages_of(response)
    html = page(response)
    assert "结束投票并封存选票" in html and "?part=turnout" in html

    vote(poll, w.s.members[0], S, S, S)
    vote(poll, w.s.members[1], S, B, D)
    response = chair_client.post(reverse("reviews:poll_close", args=[poll.pk]), follow=True)
    poll.refresh_from_db()
    assert poll.state == PollState.CLOSED
    assert "民主测评已结束，选票已封存。" in messages_of(response)
    assert not Ballot.objects.filter(poll=poll).exists()
    assert SealedBallot.objects.filter(poll=poll).count() == 2
    # Closing twice is refused.
    again = chair_client.post(reverse("reviews:poll_close", args=[poll.pk]), follow=True)
    assert "只有进行中的测评可以结束。" in messages_of(again)

    response = chair_client.post(reverse("reviews:poll_publish", args=[poll.pk]), follow=True)
    poll.refresh_from_db()
    assert poll.state == PollState.PUBLISHED
    assert "测评结果已公布，大屏显示结果。" in messages_of(response)
    assert AuditEvent.objects.filter(action="poll.published", target_id=str(poll.pk)).exists()


def test_publish_before_close_is_refused(make_world):
    w = make_world("open")
    response = client_for(w.users["office"]).post(
        reverse("reviews:poll_publish", args=[w.poll.pk]), follow=True
    )
    assert "测评结束后才能公布结果。" in messages_of(response)
    w.poll.refresh_from_db()
    assert w.poll.state == PollState.OPEN


def test_set_current_subject_and_move_the_agenda(make_world):
    w = make_world("open")
    office = client_for(w.users["office"])
    subject = w.s.subjects[1]
    response = office.post(
        reverse("reviews:set_current", args=[w.meeting.pk]), {"subject": str(subject.pk)}
    )
    assert response["Location"] == reverse("reviews:control", args=[w.meeting.pk])
    w.meeting.refresh_from_db()
    assert w.meeting.current_subject == subject
    live = page(office.get(reverse("reviews:screen_live", args=[w.meeting.pk])))
    assert "正在述职" in live and subject.display_name in live
    attend = page(client_for(w.users["member"]).get(reverse("reviews:attend", args=[w.meeting.pk])))
    assert "正在述职" in attend and subject.display_name in attend
    # A subject of another review is not on this agenda.
    stranger = SubjectFactory(form="onsite")
    response = office.post(
        reverse("reviews:set_current", args=[w.meeting.pk]), {"subject": str(stranger.pk)}
    )
    assert response.status_code == 404
    w.meeting.refresh_from_db()
    assert w.meeting.current_subject == subject
    # Cleared.
    office.post(reverse("reviews:set_current", args=[w.meeting.pk]), {"subject": ""})
    w.meeting.refresh_from_db()
    assert w.meeting.current_subject is None


def test_agenda_moves_until_voting_starts(make_world, office_clerk):
    w = make_world("created")
    office = client_for(office_clerk)
    first, second, third = AgendaItem.objects.filter(meeting=w.meeting).order_by("order")
    url = reverse("reviews:agenda_move", args=[w.meeting.pk, first.pk])
    response = office.post(url, {"direction": "down"})
    assert response["Location"] == reverse("reviews:meeting", args=[w.meeting.pk]) + "#agenda"
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.order, second.order) == (1, 0)
    # The poll not yet opened follows the agenda.
    assert [i.subject_id for i in items(w.poll)] == [
        second.subject_id,
        first.subject_id,
        third.subject_id,
    ]
    html = page(office.get(reverse("reviews:meeting", args=[w.meeting.pk])))
    assert html.index(second.subject.display_name) < html.index(first.subject.display_name)
    # Up again; the first cannot move further up.
    office.post(url, {"direction": "up"})
    office.post(url, {"direction": "up"})
    first.refresh_from_db()
    assert first.order == 0

    meetings.open_poll(actor=office_clerk, poll=w.poll)
    response = office.post(url, {"direction": "down"}, follow=True)
    assert "民主测评已经开始，议程顺序不能再调整。" in messages_of(response)
    first.refresh_from_db()
    assert first.order == 0


def test_screen_shows_turnout_only_until_published(make_world, office_clerk):
    """R5: while the poll is open or closed the projector, the control page and the members'
    phones show how many voted, never a count of 满意; the charts come with publication."""
    w = make_world("open")
    office = client_for(office_clerk)
    live_url = reverse("reviews:screen_live", args=[w.meeting.pk])
    pages = [
        live_url,
        reverse("reviews:screen", args=[w.meeting.pk]),
        reverse("reviews:control", args=[w.meeting.pk]),
        reverse("reviews:meeting", args=[w.meeting.pk]),
    ]

    response = office.get(live_url)
    assert "no-store" in response["Cache-Control"]
    html = page(response)
    assert 'data-voted="3" data-entitled="6"' in html
    assert "民主测评进行中" in html
    for url in pages:
        html = page(office.get(url))
        assert "vote-bar" not in html and "满意率" not in html, url
    assert "满意" not in page(office.get(live_url))
    member_status = page(
        client_for(w.users["member"]).get(reverse("reviews:attend_status", args=[w.meeting.pk]))
    )
    assert "vote-bar" not in member_status and "满意" not in member_status

    turnout = page(office.get(live_url, {"part": "turnout"}))
    assert 'class="turnout" data-voted="3" data-entitled="6"' in turnout
    vote(w.poll, w.users["member"])
    assert 'data-voted="4"' in page(office.get(live_url, {"part": "turnout"}))

    meetings.close_poll(actor=office_clerk, poll=w.poll)
    html = page(office.get(live_url))
    assert "投票已结束" in html and 'data-voted="4"' in html
    assert "vote-bar" not in html and "满意" not in html
    for url in pages:
        assert "vote-bar" not in page(office.get(url)), url

    meetings.publish_poll(actor=office_clerk, poll=w.poll)
    html = page(office.get(live_url))
    assert "民主测评结果" in html and "vote-bar" in html and "满意率" in html
    for subject in w.s.subjects:
        assert subject.display_name in html
    assert "vote-bar" in page(office.get(reverse("reviews:screen", args=[w.meeting.pk])))
    turnout = page(office.get(live_url, {"part": "turnout"}))
    assert 'data-voted="4"' in turnout and "vote-bar" not in turnout


# --- 7. paper ballots (R6) ----------------------------------------------------------------------


def test_paper_entry_saves_and_keeps_typed_values_on_error(make_world, office_clerk):
    w = make_world("closed")
    client = client_for(office_clerk)
    url = reverse("reviews:paper_entry", args=[w.poll.pk])
    first, second, third = items(w.poll)
    data = {
        "group": "member",
        "issued": "3",
        "returned": "3",
        "invalid": "0",
        "blank": "1",
        f"c-{first.pk}-satisfied": "2",
        f"c-{second.pk}-basic": "1",
        f"c-{second.pk}-satisfied": "1",
        f"c-{third.pk}-dissatisfied": "2",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == f"{url}?group=member"
    tally = PaperTally.objects.get(poll=w.poll, group=VoterGroup.MEMBER)
    assert (tally.issued, tally.returned, tally.invalid, tally.blank) == (3, 3, 0, 1)
    counts = {(c.item_id, c.choice): c.count for c in PaperCount.objects.filter(poll=w.poll)}
    assert counts == {
        (first.pk, "satisfied"): 2,
        (second.pk, "basic"): 1,
        (second.pk, "satisfied"): 1,
        (third.pk, "dissatisfied"): 2,
    }
    html = page(client.get(response["Location"]))
    assert "已保存常委会组成人员的纸质票" in html
    assert f'name="c-{first.pk}-satisfied" value="2"' in html

    # More counted than valid ballots (3 returned − 1 invalid − 1 blank = 1): refused in
    # Chinese, every typed value kept, the saved tally untouched.
    bad = {**data, "invalid": "1", "issued": "4", f"c-{first.pk}-satisfied": "2"}
    response = client.post(url, bad)
    html = page(response)
    assert response.status_code == 200
    assert "某位评议对象的计票数之和超过了有效票数。" in html
    assert re.search(r'name="issued" value="4"', html)
    assert re.search(r'name="invalid" value="1"', html)
    assert f'name="c-{first.pk}-satisfied" value="2"' in html
    assert f'name="c-{third.pk}-dissatisfied" value="2"' in html
    tally.refresh_from_db()
    assert (tally.issued, tally.invalid) == (3, 0)

    # Negative numbers are refused by the form.
    response = client.post(url, {**data, "returned": "-1"})
    assert "收回票数不能为负数。" in page(response)

    # More returned than issued voids the group's count (R6), shown as such.
    client.post(url, {**data, "issued": "2"})
    assert "收回多于发出，作废" in page(client.get(url))


def test_paper_entry_is_closed_once_published(make_world, office_clerk):
    w = make_world("published")
    client = client_for(office_clerk)
    url = reverse("reviews:paper_entry", args=[w.poll.pk])
    html = page(client.get(url))
    assert "结果已公布，纸质票不能再修改。" in html
    assert 'name="issued"' not in html
    response = client.post(
        url, {"group": "member", "issued": "1", "returned": "1", "invalid": "0", "blank": "0"}
    )
    assert response.status_code == 200
    assert not PaperTally.objects.exists()


def test_paper_entry_waits_for_the_poll_to_open(make_world, office_clerk):
    w = make_world("created")
    html = page(client_for(office_clerk).get(reverse("reviews:paper_entry", args=[w.poll.pk])))
    assert "测评开始后才能录入纸质票。" in html and 'name="issued"' not in html


# --- 8. results ---------------------------------------------------------------------------------


def test_results_page_counts_grades_and_download(make_world, office_clerk):
    w = make_world("open")
    vote(w.poll, w.users["member"], S, B, S)
    meetings.close_poll(actor=office_clerk, poll=w.poll)
    office = client_for(office_clerk)
    url = reverse("reviews:poll_results", args=[w.poll.pk])
    html = page(office.get(url))
    assert "结果尚未公布，目前只有评议办和主任会议成员可以查看。" in html
    assert "满意率 =（满意 3 + 基本满意 1）÷ 有效票 4 张 = 100.0%" in html
    assert "评为满意" in html
    assert "满意率 =（满意 1 + 基本满意 2）÷ 有效票 4 张 = 75.0%" in html
    assert "评为基本满意" in html
    assert "不满意 3 票，占 75.0%" in html and "须向主任会议作出说明" in html
    rows = re.findall(r'<td class="text-end">(\d+)</td>', html)
    assert rows[:3] == ["3", "1", "0"]  # subject 1: 满意, 基本满意, 不满意
    assert "向社会公开" not in html  # not before publication

    xlsx = office.get(reverse("reviews:poll_results_xlsx", args=[w.poll.pk]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert xlsx.content[:2] == b"PK" and len(xlsx.content) > 1000
    cells = {
        str(cell.value)
        for sheet in load_workbook(BytesIO(xlsx.content)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    for subject in w.s.subjects:
        assert subject.display_name in cells

    # The chair sees them too; members only after publication.
    assert client_for(w.users["chair"]).get(url).status_code == 200
    member = client_for(w.users["member"])
    assert member.get(url).status_code == 404
    assert member.get(reverse("reviews:poll_results_xlsx", args=[w.poll.pk])).status_code == 404
    meetings.publish_poll(actor=office_clerk, poll=w.poll)
    html = page(member.get(url))
    assert "满意率 =（满意 3 + 基本满意 1）÷ 有效票 4 张 = 100.0%" in html
    assert "结果尚未公布" not in html
    assert member.get(reverse("reviews:poll_results_xlsx", args=[w.poll.pk])).status_code == 200
    status = page(member.get(reverse("reviews:attend_status", args=[w.meeting.pk])))
    assert url in status  # 查看测评结果


def test_make_public_shows_the_chart_on_the_public_page(make_world, office_clerk):
    w = make_world("published")
    poll = w.poll
    anonymous = Client()
    public_url = reverse("reviews:public_review", args=[w.review.pk])
    make_public = reverse("reviews:poll_make_public", args=[poll.pk])
    office = client_for(office_clerk)

    # The review itself is not on the public pages yet: refused.
    response = office.post(make_public, follow=True)
    assert "评议活动尚未在公开页面发布，请先发布评议公告。" in messages_of(response)
    poll.refresh_from_db()
    assert poll.public_at is None
    assert anonymous.get(public_url).status_code == 404

    Review.objects.filter(pk=w.review.pk).update(published_at=timezone.now())
    html = page(anonymous.get(public_url))
    assert "民主测评结果" not in html and "vote-bar" not in html
    results = page(office.get(reverse("reviews:poll_results", args=[poll.pk])))
    assert make_public in results  # the office's button

    # The chair may not make it public.
    assert client_for(w.users["chair"]).post(make_public).status_code == 403
    poll.refresh_from_db()
    assert poll.public_at is None
    assert make_public not in page(
        client_for(w.users["chair"]).get(reverse("reviews:poll_results", args=[poll.pk]))
    )

    response = office.post(make_public, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reviews:poll_results", args=[poll.pk])
    assert "测评结果已在评议公示页面向社会公开。" in messages_of(response)
    poll.refresh_from_db()
    assert poll.public_at is not None
    html = page(anonymous.get(public_url))
    assert f"民主测评结果 · {w.meeting.session_name}" in html
    assert html.count('class="vote-bar"') == 3
    for subject in w.s.subjects:
        assert subject.display_name in html


def test_make_public_before_publication_is_refused(make_world, office_clerk):
    w = make_world("closed")
    Review.objects.filter(pk=w.review.pk).update(published_at=timezone.now())
    response = client_for(office_clerk).post(
        reverse("reviews:poll_make_public", args=[w.poll.pk]), follow=True
    )
    assert "测评结果向常委会组成人员公布后，才能向社会公开。" in messages_of(response)
    w.poll.refresh_from_db()
    assert w.poll.public_at is None
    assert "vote-bar" not in page(
        Client().get(reverse("reviews:public_review", args=[w.review.pk]))
    )


# --- 9. query counts ----------------------------------------------------------------------------


def add_subjects(w, count: int) -> None:
    """More subjects on the agenda and on the poll (3 → 3 + count)."""
    start = PollSubject.objects.filter(poll=w.poll).count()
    for i in range(count):
        subject = SubjectFactory(review=w.review, form="onsite", order=10 + i)
        AgendaItem.objects.create(meeting=w.meeting, subject=subject, order=10 + i)
        PollSubject.objects.create(poll=w.poll, subject=subject, order=start + i)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("stage", ["open", "published"])
def test_projector_and_ballot_queries_do_not_grow_with_subjects(make_world, stage):
    w = make_world(stage)
    office, member = client_for(w.users["office"]), client_for(w.users["member"])
    live = reverse("reviews:screen_live", args=[w.meeting.pk])
    ballot = reverse("reviews:ballot", args=[w.poll.pk])
    office.get(live), member.get(ballot)  # warm up (sessions, content types)
    three = (queries(office, live), queries(member, ballot))
    add_subjects(w, 9)
    assert PollSubject.objects.filter(poll=w.poll).count() == 12
    twelve = (queries(office, live), queries(member, ballot))
    assert twelve == three
    assert max(three) <= 15, three
    if stage == "published":
        assert page(office.get(live)).count('class="vote-bar"') == 12
    else:
        assert page(member.get(ballot)).count('class="ballot-item ') == 12


# --- defects found while writing these tests, now fixed -----------------------------------------


def test_set_current_with_a_malformed_subject_is_404(make_world):
    w = make_world("open")
    client = client_for(w.users["office"])
    client.raise_request_exception = False
    response = client.post(reverse("reviews:set_current", args=[w.meeting.pk]), {"subject": "abc"})
    assert response.status_code == 404


def test_a_withdrawn_question_cannot_be_answered(make_world):
    w = make_world("open")
    member = client_for(w.users["member"])
    member.post(reverse("reviews:inquiry_withdraw", args=[w.meeting.pk, w.inquiry.pk]))
    client_for(w.users["office"]).post(
        reverse("reviews:inquiry_answer", args=[w.meeting.pk, w.inquiry.pk]), {"answer": "答复"}
    )
    w.inquiry.refresh_from_db()
    assert w.inquiry.status == InquiryStatus.WITHDRAWN


def test_a_deputy_can_follow_the_breadcrumb_of_the_meeting_pages(make_world):
    w = make_world("published")
    deputy = client_for(w.users["deputy"])
    home = reverse("reviews:member_home")
    for url in (url_of("attend", w), url_of("ask", w), url_of("poll_results", w)):
        if home in page(deputy.get(url)):
            assert deputy.get(home).status_code == 200, url
