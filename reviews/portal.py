"""The reviewed official's (and unit contact's) own pages: what they are enrolled in, and
what is due from them next. Every object is fetched through a selector that returns only
their own enrolments; anything else is a 404 (R10)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from subjects.access import roles_required
from subjects.files import serve_private
from subjects.roles import Role

from .selectors import get_subject_for_official_user, subjects_for_official_user
from .workflow import ORDER, Phase, PlanStatus


def next_steps(subject) -> list[dict]:
    """What the official should expect next, from the review's phase and timetable."""
    review = subject.review
    today = timezone.localdate()
    steps = []
    for phase, (start_field, end_field) in review.PHASE_DATE_FIELDS.items():
        start, end = getattr(review, start_field), getattr(review, end_field)
        steps.append(
            {
                "label": Phase(phase).label,
                "starts_on": start,
                "ends_on": end,
                "current": review.phase == phase,
                "done": ORDER.index(review.phase) > ORDER.index(phase),
                "upcoming": bool(start and start > today),
            }
        )
    return steps


@roles_required(Role.OFFICIAL)
@require_GET
def official_home(request):
    subjects = list(subjects_for_official_user(request.user))
    return render(request, "reviews/home_official.html", {"subjects": subjects})


@roles_required(Role.OFFICIAL)
@require_GET
def official_subject(request, pk):
    subject = get_subject_for_official_user(request.user, pk)
    return render(
        request,
        "reviews/official_subject.html",
        {"subject": subject, "review": subject.review, "steps": next_steps(subject)},
    )


@roles_required(Role.OFFICIAL)
@require_GET
def plan_document(request, pk):
    """The approved 实施方案 of a review the official is enrolled in."""
    subject = get_subject_for_official_user(request.user, pk)
    review = subject.review
    if not review.plan_document or review.plan_status != PlanStatus.APPROVED:
        raise Http404
    return serve_private(review.plan_document, review.plan_document_name)
