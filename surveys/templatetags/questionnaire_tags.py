"""The questionnaires card of the review page, and the small filters of the results page."""

from django import template
from django.db.models import Count

from subjects.roles import Role, has_role

from ..builder import BUILD_PHASES
from ..models import Questionnaire

register = template.Library()


@register.inclusion_tag("surveys/partials/_questionnaires_card.html", takes_context=True)
def questionnaires_card(context, review):
    """The review's questionnaires with their status and response counts (one query)."""
    user = context["request"].user
    visible = has_role(user, Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER)
    rows = (
        list(
            Questionnaire.objects.filter(review=review)
            .annotate(response_count=Count("responses"))
            .order_by("-opens_at", "-id")
        )
        if visible
        else []
    )
    is_office = has_role(user, Role.OFFICE)
    return {
        "review": review,
        "questionnaires": rows,
        "visible": visible,
        "is_office": is_office,
        "can_create": is_office and review.phase in BUILD_PHASES,
    }


@register.filter
def segments(tally, scale):
    """The stacked bar of a results tally, for `_bar.html`."""
    return tally.segments(scale) if tally is not None else []


@register.filter
def channel(pairs, label):
    """The tally of one channel in a [(label, tally)] list, or None."""
    return next((tally for name, tally in pairs if name == label), None)


@register.filter
def index(sequence, i):
    try:
        return sequence[i]
    except (IndexError, TypeError):
        return ""
