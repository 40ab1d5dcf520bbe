"""The pages of the review meeting (Phase 3 评议会议): the office's meeting pages, check-in at
the door, 询问, the chair's control page, the projector (大屏), the members' phone pages and
the secret ballot, paper ballots and the results.

Views stay thin: a permission-checking fetcher from `meeting_selectors`, a form, one service
of `reviews.meetings`, then a redirect (PRG) or the form again with the refusal. The ballot
views never log, audit or store a choice anywhere but in the ballot itself (R4).
"""

from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subjects.access import authenticated, public, roles_required
from subjects.exports import XLSX_TYPE
from subjects.forms import errors_into_form, report_refusal
from subjects.models import User
from subjects.roles import Role, has_role
from subjects.throttle import FailureThrottle
from subjects.widgets import bootstrap

from . import meetings
from .charts import chart_rows
from .exports import poll_results_filename, poll_results_workbook
from .meeting_forms import (
    AnswerForm,
    BallotForm,
    CheckInForm,
    CodeEntryForm,
    InquiryForm,
    MeetingForm,
    PaperForm,
    VoterCodesForm,
)
from .meeting_selectors import (
    can_see_results,
    current_poll,
    get_meeting_for_attendee,
    get_meeting_for_staff,
    get_poll_for_attendee,
    get_poll_for_staff,
    is_meeting_staff,
    meetings_for_staff,
)
from .models import (
    AgendaItem,
    Attendance,
    Inquiry,
    InquiryStatus,
    Meeting,
    PaperTally,
    Poll,
    PollState,
    PollSubject,
    SubjectForm,
    Voter,
    VoterGroup,
)
from .selectors import get_review_for_user
from .workflow import Phase

STAFF = (Role.OFFICE, Role.COUNCIL)
ATTENDEES = (Role.COMMITTEE_MEMBER, Role.COUNCIL, Role.DEPUTY)


# --- helpers ---------------------------------------------------------------------------------


def _absolute(request, path: str) -> str:
    base = settings.PINGYI_SITE_URL.rstrip("/") if settings.PINGYI_SITE_URL else ""
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def qr_data_uri(text: str, scale: int = 6) -> str:
    """A QR code as an SVG data URI (img-src data: is allowed by the CSP; no external host)."""
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)


def _agenda(meeting: Meeting) -> list[AgendaItem]:
    return list(AgendaItem.objects.filter(meeting=meeting).select_related("subject"))


def _onsite_subjects(meeting: Meeting):
    return [item.subject for item in _agenda(meeting) if item.subject.form == SubjectForm.ONSITE]


def _polls(meeting: Meeting) -> list[Poll]:
    return list(meeting.polls.annotate(voted=Count("participations")).order_by("-id"))


# --- office: meetings ------------------------------------------------------------------------


@roles_required(*STAFF)
@require_GET
def meeting_list(request):
    rows = list(
        meetings_for_staff(request.user)
        .annotate(
            present=Count("attendance", distinct=True), poll_count=Count("polls", distinct=True)
        )
        .order_by("-starts_at", "-id")
    )
    return render(request, "reviews/meeting/list.html", {"meetings": rows})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def meeting_create(request, pk):
    review = get_review_for_user(request.user, pk)
    if request.method == "POST":
        form = MeetingForm(request.POST)
        if form.is_valid():
            meeting = meetings.create_meeting(
                actor=request.user, review=review, **form.cleaned_data
            )
            messages.success(
                request, f"已创建评议会议“{meeting.session_name}”，议程已按现场述职、书面述职排好。"
            )
            return redirect("reviews:meeting", pk=meeting.pk)
    else:
        form = MeetingForm(initial={"place": "县人大常委会机关会议室"})
    return render(request, "reviews/meeting/form.html", {"review": review, "form": bootstrap(form)})


@roles_required(*STAFF)
@require_GET
def meeting_detail(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    agenda = _agenda(meeting)
    present = meetings.quorum(meeting)
    attendance = Attendance.objects.filter(meeting=meeting).aggregate(
        deputies=Count("id", filter=Q(group=VoterGroup.DEPUTY))
    )
    polls = _polls(meeting)
    inquiries = Inquiry.objects.filter(meeting=meeting).aggregate(
        total=Count("id"),
        queued=Count("id", filter=Q(status=InquiryStatus.QUEUED)),
    )
    return render(
        request,
        "reviews/meeting/detail.html",
        {
            "meeting": meeting,
            "review": meeting.review,
            "agenda": agenda,
            "quorum": present,
            "deputies_present": attendance["deputies"],
            "inquiries": inquiries,
            "polls": polls,
            "can_edit": has_role(request.user, Role.OFFICE),
            # Once voting has started the ballot's order is fixed; the agenda stays with it.
            "can_reorder": has_role(request.user, Role.OFFICE)
            and all(p.state == PollState.CREATED for p in polls),
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def agenda_move(request, pk, item_pk):
    meeting = get_meeting_for_staff(request.user, pk)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        meetings.move_agenda_item(actor=request.user, item=item, offset=offset)
    except ValidationError as error:
        report_refusal(request, error)
    return redirect(reverse("reviews:meeting", args=[meeting.pk]) + "#agenda")


# --- check-in ------------------------------------------------------------------------------


def _attendee_candidates(meeting: Meeting):
    """Composition members of the review's term, then deputies; with who has checked in."""
    members = meetings.composition_of(meeting.review)
    checked = set(Attendance.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    member_ids = {m.user_id for m in members}
    deputies = []
    if meeting.review.rules.deputies_vote:
        deputies = list(
            User.objects.filter(is_active=True, role_grants__role=Role.DEPUTY)
            .exclude(pk__in=member_ids)
            .distinct()
            .order_by("full_name", "username")
        )
    return members, deputies, checked


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def checkin_desk(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    members, deputies, checked = _attendee_candidates(meeting)
    people = [m.user for m in members] + deputies
    form = CheckInForm(request.POST or None, people=[p for p in people if p.pk not in checked])
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        try:
            meetings.check_in(actor=request.user, meeting=meeting, user=person)
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"{person.full_name or person.username} 已签到。")
            return redirect("reviews:checkin_desk", pk=meeting.pk)
    self_url = _absolute(
        request, reverse("reviews:self_checkin", args=[meeting.pk, meeting.checkin_token])
    )
    return render(
        request,
        "reviews/meeting/checkin.html",
        {
            "meeting": meeting,
            "review": meeting.review,
            "members": members,
            "deputies": deputies,
            "checked": checked,
            # The same count as meetings.quorum(), from the rows already loaded.
            "quorum": meetings.Quorum(
                present=sum(1 for m in members if m.user_id in checked), total=len(members)
            ),
            "form": bootstrap(form),
            "self_url": self_url,
            "self_qr": qr_data_uri(self_url),
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def checkin_person(request, pk, user_pk):
    """The one-tap 签到 button beside each name on the desk page."""
    meeting = get_meeting_for_staff(request.user, pk)
    person = get_object_or_404(User, pk=user_pk, is_active=True)
    try:
        meetings.check_in(actor=request.user, meeting=meeting, user=person)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"{person.full_name or person.username} 已签到。")
    return redirect("reviews:checkin_desk", pk=meeting.pk)


@authenticated
@require_http_methods(["GET", "POST"])
def self_checkin(request, pk, token):
    """Members scan the QR code at the door: the token in the URL is the proof of presence."""
    meeting = Meeting.objects.select_related("review").filter(pk=pk, checkin_token=token).first()
    if meeting is None:
        raise Http404
    attendance = Attendance.objects.filter(meeting=meeting, user=request.user).first()
    error = ""
    if request.method == "POST" and attendance is None:
        try:
            attendance = meetings.check_in(actor=request.user, meeting=meeting, user=request.user)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, "签到成功。")
            return redirect("reviews:attend", pk=meeting.pk)
    return render(
        request,
        "reviews/meeting/self_checkin.html",
        {"meeting": meeting, "attendance": attendance, "error": error},
    )


# --- 询问 -------------------------------------------------------------------------------------


def _queued(request, meeting: Meeting, form: InquiryForm) -> bool:
    """Queue the question a POST of `form` carries (asked by the user, or by the member the
    office chose); a refusal goes onto the form with what was typed."""
    if request.method != "POST" or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        meetings.queue_inquiry(
            actor=request.user,
            meeting=meeting,
            subject=data["subject"],
            question=data["question"],
            asker=data.get("asker"),
        )
    except ValidationError as error:
        errors_into_form(form, error)
        return False
    return True


@roles_required(*STAFF)
@require_http_methods(["GET", "POST"])
def inquiries(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    onsite = _onsite_subjects(meeting)
    form = None
    if has_role(request.user, Role.OFFICE):  # the chair sees the list; the office enters
        form = InquiryForm(
            request.POST or None,
            subjects=onsite,
            askers=[m.user for m in meetings.composition_of(meeting.review)],
            initial={"subject": meeting.current_subject_id},
        )
        if _queued(request, meeting, form):
            messages.success(request, "已登记询问。")
            return redirect("reviews:inquiries", pk=meeting.pk)
        bootstrap(form)
    elif request.method == "POST":
        raise PermissionDenied
    rows = list(
        Inquiry.objects.filter(meeting=meeting)
        .exclude(status=InquiryStatus.WITHDRAWN)
        .select_related("asker", "subject")
    )
    by_subject = {s.pk: {"subject": s, "rows": []} for s in onsite}
    for row in rows:
        by_subject.setdefault(row.subject_id, {"subject": row.subject, "rows": []})["rows"].append(
            row
        )
    return render(
        request,
        "reviews/meeting/inquiries.html",
        {
            "meeting": meeting,
            "review": meeting.review,
            "sections": list(by_subject.values()),
            "form": form,
            "answer_form": AnswerForm(),
        },
    )


def _staff_inquiry(request, pk, inquiry_pk):
    meeting = get_meeting_for_staff(request.user, pk)
    return meeting, get_object_or_404(Inquiry, pk=inquiry_pk, meeting=meeting)


@roles_required(*STAFF)
@require_POST
def inquiry_call(request, pk, inquiry_pk):
    meeting, inquiry = _staff_inquiry(request, pk, inquiry_pk)
    try:
        meetings.call_inquiry(actor=request.user, inquiry=inquiry)
    except ValidationError as error:
        report_refusal(request, error)
    return redirect(reverse("reviews:inquiries", args=[meeting.pk]) + f"#inquiry-{inquiry.pk}")


@roles_required(*STAFF)
@require_POST
def inquiry_answer(request, pk, inquiry_pk):
    meeting, inquiry = _staff_inquiry(request, pk, inquiry_pk)
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([e for errs in form.errors.values() for e in errs])
        meetings.record_inquiry(actor=request.user, inquiry=inquiry, **form.cleaned_data)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(
            request, f"已记录 {inquiry.asker.full_name or inquiry.asker} 的询问及答复。"
        )
    return redirect(reverse("reviews:inquiries", args=[meeting.pk]) + f"#inquiry-{inquiry.pk}")


@roles_required(*ATTENDEES)
@require_http_methods(["GET", "POST"])
def ask(request, pk):
    """A member queues a question from their phone and sees their place in the queue."""
    meeting = get_meeting_for_attendee(request.user, pk)
    onsite = _onsite_subjects(meeting)
    form = InquiryForm(
        request.POST or None, subjects=onsite, initial={"subject": meeting.current_subject_id}
    )
    if _queued(request, meeting, form):
        messages.success(request, "您的询问已提交，请等候主持人安排。")
        return redirect("reviews:ask", pk=meeting.pk)
    queue = list(
        Inquiry.objects.filter(meeting=meeting, status=InquiryStatus.QUEUED).values_list(
            "pk", flat=True
        )
    )
    mine = list(
        Inquiry.objects.filter(meeting=meeting, asker=request.user)
        .exclude(status=InquiryStatus.WITHDRAWN)
        .select_related("subject")
    )
    for row in mine:
        row.position = queue.index(row.pk) + 1 if row.pk in queue else None
    return render(
        request,
        "reviews/meeting/ask.html",
        {"meeting": meeting, "form": bootstrap(form), "mine": mine, "onsite": onsite},
    )


@roles_required(*ATTENDEES)
@require_POST
def inquiry_withdraw(request, pk, inquiry_pk):
    meeting = get_meeting_for_attendee(request.user, pk)
    inquiry = get_object_or_404(Inquiry, pk=inquiry_pk, meeting=meeting, asker=request.user)
    try:
        meetings.withdraw_inquiry(actor=request.user, inquiry=inquiry)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已撤回询问。")
    return redirect("reviews:ask", pk=meeting.pk)


# --- the chair's control page and the projector --------------------------------------------


@roles_required(*STAFF)
@require_GET
def control(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    poll = current_poll(meeting)
    # The chair is usually a composition member too, and votes like everyone else.
    own_voter = meetings.voter_for_user(poll, request.user) if poll else None
    return render(
        request,
        "reviews/meeting/control.html",
        {
            "meeting": meeting,
            "review": meeting.review,
            "agenda": _agenda(meeting),
            "quorum": meetings.quorum(meeting),
            "poll": poll,
            "turnout": meetings.turnout(poll) if poll else None,
            "phase_ready": meeting.review.phase == Phase.MEETING,
            "queued": Inquiry.objects.filter(meeting=meeting, status=InquiryStatus.QUEUED).count(),
            "is_office": has_role(request.user, Role.OFFICE),
            "own_vote_pending": bool(own_voter and not meetings.has_voted(own_voter)),
        },
    )


@roles_required(*STAFF)
@require_POST
def set_current(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    subject_id = request.POST.get("subject") or None
    subject = None
    if subject_id and not subject_id.isdigit():
        raise Http404
    if subject_id:
        item = (
            AgendaItem.objects.filter(meeting=meeting, subject_id=subject_id)
            .select_related("subject")
            .first()
        )
        if item is None:
            raise Http404
        subject = item.subject
    meetings.set_current_subject(actor=request.user, meeting=meeting, subject=subject)
    return redirect("reviews:control", pk=meeting.pk)


@roles_required(*STAFF)
@require_POST
def poll_create(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    try:
        meetings.create_poll(actor=request.user, meeting=meeting)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已创建民主测评，签到人数达到法定人数后即可开始投票。")
    return redirect("reviews:control", pk=meeting.pk)


def _poll_step(request, pk, step, success: str):
    poll = get_poll_for_staff(request.user, pk)
    try:
        step(actor=request.user, poll=poll)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, success)
    return redirect("reviews:control", pk=poll.meeting_id)


@roles_required(*STAFF)
@require_POST
def poll_open(request, pk):
    return _poll_step(
        request, pk, meetings.open_poll, "民主测评已开始，请各位组成人员在手机上投票。"
    )


@roles_required(*STAFF)
@require_POST
def poll_close(request, pk):
    return _poll_step(request, pk, meetings.close_poll, "民主测评已结束，选票已封存。")


@roles_required(*STAFF)
@require_POST
def poll_publish(request, pk):
    return _poll_step(request, pk, meetings.publish_poll, "测评结果已公布，大屏显示结果。")


@roles_required(Role.OFFICE)
@require_POST
def poll_make_public(request, pk):
    poll = get_poll_for_staff(request.user, pk)
    try:
        meetings.make_poll_public(actor=request.user, poll=poll)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "测评结果已在评议公示页面向社会公开。")
    return redirect("reviews:poll_results", pk=poll.pk)


def _screen_context(meeting: Meeting) -> dict:
    poll = current_poll(meeting)
    context = {"meeting": meeting, "poll": poll, "turnout": None, "rows": None}
    if poll is not None and poll.state != PollState.CREATED:
        context["turnout"] = meetings.turnout(poll)
    if poll is not None and poll.state == PollState.PUBLISHED:
        res = meetings.results(poll)
        context["rows"] = chart_rows(res)
        context["paper_valid"] = sum(t.valid for t in res.paper_tallies if not t.void)
    return context


@roles_required(*STAFF)
@require_GET
def screen(request, pk):
    meeting = get_meeting_for_staff(request.user, pk)
    return render(request, "reviews/meeting/screen.html", _screen_context(meeting))


@roles_required(*STAFF)
@require_GET
@never_cache
def screen_live(request, pk):
    """The projector's live part, fetched every second: turnout only while voting is open
    (R5), the charts once the chair publishes."""
    meeting = get_meeting_for_staff(request.user, pk)
    if request.GET.get("part") == "turnout":  # the control page's counter
        poll = current_poll(meeting)
        turnout = meetings.turnout(poll) if poll else meetings.Turnout(0, 0)
        return render(request, "reviews/meeting/_turnout.html", {"turnout": turnout})
    return render(request, "reviews/meeting/_screen_live.html", _screen_context(meeting))


# --- members: the meeting on the phone -----------------------------------------------------


def _attendee_status(request, meeting: Meeting) -> dict:
    poll = current_poll(meeting)
    voter = meetings.voter_for_user(poll, request.user) if poll else None
    return {
        "meeting": meeting,
        "poll": poll,
        "checked_in": Attendance.objects.filter(meeting=meeting, user=request.user).exists(),
        "voter": voter,
        "voted": bool(voter and meetings.has_voted(voter)),
    }


@roles_required(*ATTENDEES)
@require_GET
def attend(request, pk):
    meeting = get_meeting_for_attendee(request.user, pk)
    return render(
        request,
        "reviews/meeting/attend.html",
        {**_attendee_status(request, meeting), "agenda": _agenda(meeting)},
    )


@roles_required(*ATTENDEES)
@require_GET
@never_cache
def attend_status(request, pk):
    meeting = get_meeting_for_attendee(request.user, pk)
    return render(
        request, "reviews/meeting/_attend_status.html", _attendee_status(request, meeting)
    )


# --- the ballot ------------------------------------------------------------------------------


def _ballot_items(poll: Poll) -> list[PollSubject]:
    return list(PollSubject.objects.filter(poll=poll).select_related("subject"))


def _ballot(request, poll: Poll, voter, *, code: str = "", done_url: str):
    """The ballot flow shared by logged-in voters and slip codes: mark every subject, review
    the summary, submit once. POST `action` is "review" (default), "edit" or "submit"."""

    def page(template: str, **extra):
        # Built only for a page: an accepted ballot is a bare redirect and needs neither the
        # meeting (one more query) nor the form's URL.
        action_url = (
            reverse("reviews:vote_with_code") if code else reverse("reviews:ballot", args=[poll.pk])
        )
        context = {"poll": poll, "meeting": poll.meeting, "code": code, "action_url": action_url}
        return render(request, template, {**context, **extra})

    if poll.state != PollState.OPEN:
        return page("reviews/meeting/ballot_closed.html")
    if voter is None:
        return page("reviews/meeting/ballot_not_entitled.html")
    marking = request.method == "POST" and "item-marks" in request.POST
    action = request.POST.get("action", "review")
    if marking and action == "submit":
        # The moment a room votes at once, so the lean path: the service checks the marks
        # against the poll, and the participation's unique voter decides repeats (R1).
        marks = {
            key.removeprefix("item-"): value
            for key, value in request.POST.items()
            if key.startswith("item-") and key != "item-marks"
        }
        try:
            meetings.cast_ballot(poll=poll, voter=voter, marks=marks)
        except meetings.AlreadyVoted:
            return page("reviews/meeting/ballot_voted.html")
        except ValidationError:
            poll.refresh_from_db(fields=["state"])
            if poll.state != PollState.OPEN:  # closed while the voter was marking
                return page("reviews/meeting/ballot_closed.html")
            # Otherwise a subject left out: the form below names it.
        else:
            return redirect(done_url)
    elif meetings.has_voted(voter):
        return page("reviews/meeting/ballot_voted.html")
    items = _ballot_items(poll)
    form = BallotForm(
        request.POST if marking else None, items=items, allow_unknown=poll.allow_unknown
    )
    if marking and action == "review" and form.is_valid():
        return page("reviews/meeting/ballot_review.html", form=form)
    if marking and action == "submit" and form.is_valid():
        # Every subject marked, yet refused: the poll changed under the voter (closed, or a
        # mark outside the allowed options).
        form.add_error(None, "选票未能提交：测评状态已变化或选项无效，请刷新页面后重试。")
    return page("reviews/meeting/ballot.html", form=form, show_errors=marking and action != "edit")


_POLL_FIELDS = Poll._meta.concrete_fields
_VOTER_WITH_POLL = (
    'SELECT v.id, v."group", v.code_hash, '  # noqa: S608 (column names from the model)
    + ", ".join(f'p."{f.column}"' for f in _POLL_FIELDS)
    + " FROM reviews_voter v JOIN reviews_poll p ON p.id = v.poll_id"
    " WHERE v.poll_id = %s AND v.user_id = %s"
)


def _voter_with_poll(pk: int, user) -> Voter | None:
    """The user's frozen voter of poll `pk`, with its poll: the first query of every ballot.

    On PostgreSQL one hand-written statement, where the ORM's compilation cost more CPU than
    the query (bench/ballot_burst.py); values are converted as the ORM would (the rules
    snapshot is JSON; psycopg returns aware datetimes). The meeting is loaded only if a page
    is shown.
    """
    if connection.vendor != "postgresql":
        return Voter.objects.select_related("poll").filter(poll_id=pk, user=user).first()
    with connection.cursor() as cursor:
        cursor.execute(_VOTER_WITH_POLL, [pk, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(_POLL_FIELDS, row[3:], strict=True)
    ]
    poll = Poll.from_db(connection.alias, [f.attname for f in _POLL_FIELDS], values)
    voter = Voter.from_db(
        connection.alias,
        ("id", "poll_id", "user_id", "group", "code_hash"),
        (row[0], poll.pk, user.pk, row[1], row[2]),
    )
    voter.poll = poll
    return voter


@authenticated
@require_http_methods(["GET", "POST"])
@never_cache
def ballot(request, pk):
    # The hot path of a room voting at once: a frozen voter of the poll needs no scope
    # check beyond being on its list; anyone else goes through the fetcher (404 or the
    # "not on the list" page).
    voter = _voter_with_poll(pk, request.user)
    poll = voter.poll if voter else get_poll_for_attendee(request.user, pk)
    return _ballot(request, poll, voter, done_url=reverse("reviews:ballot_done", args=[poll.pk]))


@authenticated
@require_GET
@never_cache
def ballot_done(request, pk):
    poll = get_poll_for_attendee(request.user, pk)
    voter = meetings.voter_for_user(poll, request.user)
    if voter is None or not meetings.has_voted(voter):
        return redirect("reviews:ballot", pk=poll.pk)
    return render(
        request, "reviews/meeting/ballot_done.html", {"poll": poll, "meeting": poll.meeting}
    )


CODE_THROTTLE = FailureThrottle(prefix="vote-code-fail", event="poll.code_throttled", what="投票码")


@public
@require_http_methods(["GET", "POST"])
@never_cache
def vote_with_code(request):
    """Deputies without accounts vote with the one-time code of a printed slip. The code is
    carried in the form, never in the session or a log; the slip names no one."""
    if request.method == "GET":
        form = CodeEntryForm(initial={"code": request.GET.get("code", "")})
        return render(request, "reviews/meeting/vote_code.html", {"form": bootstrap(form)})
    form = CodeEntryForm(request.POST)
    if CODE_THROTTLE.blocked(request):
        form.is_valid()
        form.add_error(None, "投票码输错次数过多，请 15 分钟后再试，或向工作人员求助。")
    elif form.is_valid():
        code = form.cleaned_data["code"]
        voter = (
            Voter.objects.select_related("poll__meeting__review")
            .filter(code_hash=meetings.hash_code(code))
            .first()
        )
        if voter is not None:
            return _ballot(
                request, voter.poll, voter, code=code, done_url=reverse("reviews:vote_code_done")
            )
        CODE_THROTTLE.failed(request)
        form.add_error("code", "投票码不正确，请核对选票条上的投票码。")
    return render(request, "reviews/meeting/vote_code.html", {"form": bootstrap(form)})


@public
@require_GET
def vote_code_done(request):
    return render(request, "reviews/meeting/ballot_done.html", {"anonymous": True})


# --- voter codes, paper ballots, results ---------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def voter_codes(request, pk):
    """Slip codes for deputies without accounts: shown once, for printing, then only hashes
    remain. Slips are handed out at random so a code names no one."""
    poll = get_poll_for_staff(request.user, pk)
    form = VoterCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = meetings.issue_voter_codes(
                actor=request.user, poll=poll, count=form.cleaned_data["count"]
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            vote_url = _absolute(request, reverse("reviews:vote_with_code"))
            slips = [
                {"code": code, "qr": qr_data_uri(f"{vote_url}?{urlencode({'code': code})}", 4)}
                for code in codes
            ]
            response = render(
                request,
                "reviews/meeting/slips.html",
                {"poll": poll, "meeting": poll.meeting, "slips": slips, "vote_url": vote_url},
            )
            response["Cache-Control"] = "no-store"
            return response
    existing = poll.voters.filter(code_hash__isnull=False).count()
    return render(
        request,
        "reviews/meeting/codes.html",
        {"poll": poll, "meeting": poll.meeting, "form": bootstrap(form), "existing": existing},
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def paper_entry(request, pk):
    poll = get_poll_for_staff(request.user, pk)
    items = _ballot_items(poll)
    group = request.POST.get("group") or request.GET.get("group") or VoterGroup.MEMBER
    if group not in VoterGroup.values:
        group = VoterGroup.MEMBER
    if request.method == "POST":
        form = PaperForm(request.POST, items=items, allow_unknown=poll.allow_unknown)
        if form.is_valid():
            data = form.cleaned_data
            try:
                meetings.record_paper(
                    actor=request.user,
                    poll=poll,
                    group=data["group"],
                    issued=data["issued"],
                    returned=data["returned"],
                    invalid=data["invalid"],
                    blank=data["blank"],
                    counts=form.counts(),
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已保存{VoterGroup(data['group']).label}的纸质票。")
                return redirect(
                    reverse("reviews:paper_entry", args=[poll.pk]) + f"?group={data['group']}"
                )
    else:
        tally = PaperTally.objects.filter(poll=poll, group=group).first()
        initial = {"group": group}
        if tally:
            initial.update(
                issued=tally.issued,
                returned=tally.returned,
                invalid=tally.invalid,
                blank=tally.blank,
            )
            for count in poll.paper_counts.filter(group=group):
                initial[f"c-{count.item_id}-{count.choice}"] = count.count
        form = PaperForm(initial=initial, items=items, allow_unknown=poll.allow_unknown)
    return render(
        request,
        "reviews/meeting/paper.html",
        {
            "poll": poll,
            "meeting": poll.meeting,
            "form": bootstrap(form),
            "tallies": list(PaperTally.objects.filter(poll=poll)),
            "editable": poll.state in (PollState.OPEN, PollState.CLOSED),
            "groups": VoterGroup.choices,
            "group": group,
        },
    )


def _poll_for_results(request, pk) -> Poll:
    if is_meeting_staff(request.user):
        poll = get_poll_for_staff(request.user, pk)
    else:
        poll = get_poll_for_attendee(request.user, pk)
    if not can_see_results(request.user, poll):
        raise Http404
    return poll


@roles_required(*STAFF, Role.COMMITTEE_MEMBER, Role.DEPUTY)
@require_GET
def poll_results(request, pk):
    poll = _poll_for_results(request, pk)
    res = meetings.results(poll)
    return render(
        request,
        "reviews/meeting/results.html",
        {
            "poll": poll,
            "meeting": poll.meeting,
            "review": poll.meeting.review,
            "res": res,
            "rows": chart_rows(res),
            "turnout": meetings.turnout(poll),
            "is_staff": is_meeting_staff(request.user),
            "is_office": has_role(request.user, Role.OFFICE),
            "show_unknown": poll.allow_unknown,
        },
    )


@roles_required(*STAFF, Role.COMMITTEE_MEMBER, Role.DEPUTY)
@require_GET
def poll_results_xlsx(request, pk):
    poll = _poll_for_results(request, pk)
    res = meetings.results(poll)
    response = HttpResponse(poll_results_workbook(res), content_type=XLSX_TYPE)
    # "…民主测评结果统计表", not "…民主测评测评结果统计表".
    stem = poll_results_filename(res).removesuffix(".xlsx")
    filename = f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
