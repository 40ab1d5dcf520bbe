"""The rectification satisfaction vote and the council's 继续整改.

    office: vote_start ── picks a meeting ──► cases.start_vote ──► the meeting's control page,
        where the chair runs the poll like the 民主测评; publishing settles the rounds
    council: council_cases (rounds voted 不满意) ──► order_continue ──► cases.order_continue:
        round n+1 and a 继续整改通知 draft the office issues on the document pages

Views are thin: permission-checking fetchers (404 for what the user may not see), one service
per step, refusals shown on the form with what was typed (R23).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from reviews import grading
from reviews.models import Meeting
from reviews.selectors import get_review_for_user
from reviews.workflow import Phase
from subjects.access import roles_required
from subjects.forms import errors_into_form
from subjects.roles import Role, has_role

from . import cases, deadlines
from .forms_vote import ContinueForm, VoteStartForm
from .models import CaseStatus, RectificationRound, RoundOutcome

# --- the office starts the vote ----------------------------------------------------------------


def _vote_meetings(review) -> tuple[list[Meeting], list[Meeting]]:
    """The review's meetings that can hold the vote (no poll yet: the control page shows one
    poll at a time), and the others."""
    rows = list(Meeting.objects.filter(review=review).annotate(poll_count=Count("polls")))
    free = [m for m in rows if not m.poll_count]
    return free, [m for m in rows if m.poll_count]


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def vote_start(request, pk):
    review = get_review_for_user(request.user, pk)
    rounds = cases.rounds_ready_for_vote(review)
    free, used = _vote_meetings(review)
    form = VoteStartForm(request.POST or None, meetings=free)
    if request.method == "POST" and form.is_valid():
        meeting = next(m for m in free if m.pk == form.cleaned_data["meeting"])
        try:
            poll = cases.start_vote(
                actor=request.user, meeting=meeting, title=form.cleaned_data["title"]
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(
                request,
                f"已发起“{poll.title}”，共 {len(rounds)} 个评议对象。"
                "组成人员签到达到法定人数后即可开始投票。",
            )
            return redirect("reviews:control", pk=meeting.pk)
    voting = list(
        RectificationRound.objects.filter(
            case__review=review, poll__isnull=False, outcome=RoundOutcome.PENDING
        )
        .select_related("case__subject", "poll__meeting")
        .order_by("case__subject__form", "case__subject__order", "case__subject_id")
    )
    return render(
        request,
        "rectification/vote_start.html",
        {
            "review": review,
            "rounds": rounds,
            "voting": voting,
            "form": form,
            "free_meetings": free,
            "used_meetings": used,
            "phase_ready": review.phase == Phase.RECTIFY,
        },
    )


# --- the council: rounds voted 不满意 and 继续整改 ---------------------------------------------


def _dissatisfied_rounds():
    """Rounds voted 不满意 that await the council: the latest round of an open case (a round
    becomes CONTINUED when the council orders the next one)."""
    return (
        RectificationRound.objects.filter(
            outcome=RoundOutcome.DISSATISFIED, case__status=CaseStatus.OPEN
        )
        .exclude(case__review__phase=Phase.ARCHIVED)
        .select_related("case__subject", "case__review", "poll__meeting")
        .order_by("decided_at", "id")
    )


def _with_grades(rounds):
    for round_ in rounds:
        round_.grade = grading.rectification(
            round_.dissatisfied or 0, round_.composition_total or 0
        )
    return rounds


@roles_required(Role.COUNCIL, Role.OFFICE)
@require_GET
def council_cases(request):
    continued = list(
        RectificationRound.objects.filter(number__gt=1, council_date__isnull=False)
        .exclude(case__review__phase=Phase.ARCHIVED)
        .select_related("case__subject", "notice")
        .order_by("-council_date", "-id")[:20]
    )
    return render(
        request,
        "rectification/council_cases.html",
        {
            "rounds": _with_grades(list(_dissatisfied_rounds())),
            "continued": continued,
            "can_order": has_role(request.user, Role.COUNCIL),
            "is_office": has_role(request.user, Role.OFFICE),
        },
    )


@roles_required(Role.COUNCIL)
@require_http_methods(["GET", "POST"])
def order_continue(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    round_ = (
        RectificationRound.objects.filter(case=case)
        .select_related("poll__meeting")
        .order_by("-number")
        .first()
    )
    _plan, report_months = cases._periods(case)
    default_due = deadlines.due_after(timezone.localdate(), report_months)
    form = ContinueForm(request.POST or None, default_due=default_due, report_months=report_months)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = cases.order_continue(
                actor=request.user,
                case=case,
                council_session=data["council_session"],
                council_date=data["council_date"],
                due_on=data["due_on"],
                requirements=data["requirements"].strip(),
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(
                request,
                f"已决定{case.subject.display_name}继续整改（{new}），"
                "继续整改通知草稿已生成，由评议办审核印发。",
            )
            return redirect("rectification:council_cases")
    if round_ is not None:
        _with_grades([round_])
    return render(
        request,
        "rectification/council_cases_continue.html",
        {
            "case": case,
            "round": round_,
            "form": form,
            "open": round_ is not None
            and round_.outcome == RoundOutcome.DISSATISFIED
            and case.status == CaseStatus.OPEN,
        },
    )
