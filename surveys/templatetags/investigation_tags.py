"""The investigation card of a review page: {% investigation_card review %}.

Shows the numbers of activities, findings and reports by status with links; a working-group
member sees only their own groups' numbers (request.user from the template context)."""

from django import template

from subjects.roles import Role, has_role

from ..investigation import is_open
from ..selectors_investigation import investigation_counts, writable_group_ids

register = template.Library()

REPORT_BADGES = {
    "none": "text-bg-light border",
    "draft": "text-bg-secondary",
    "submitted": "text-bg-warning",
    "returned": "text-bg-danger",
    "heard": "text-bg-success",
}


@register.inclusion_tag("surveys/partials/_investigation_card.html", takes_context=True)
def investigation_card(context, review):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not has_role(user, Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER):
        return {"show": False}
    counts = investigation_counts(user, review)
    writable = writable_group_ids(user, review.pk)
    return {
        "show": True,
        "review": review,
        "counts": counts,
        "reports": [
            {"status": value, "label": label, "count": n, "badge": REPORT_BADGES[value]}
            for value, label, n in counts["reports"]
        ],
        "own_only": not has_role(user, Role.OFFICE, Role.COUNCIL),
        "can_add": is_open(review) and (writable is None or bool(writable)),
        "is_council": has_role(user, Role.COUNCIL),
    }
