"""The archive card of the review page (office and council), so reviews' views need no
import of this app:

    {% load archive_tags %}{% archive_card review %}
"""

from django import template

from reviews.workflow import Phase
from subjects.roles import Role, has_role

from .. import archive as archiving
from ..models import ReviewArchive

register = template.Library()


@register.inclusion_tag("rectification/archive_card.html", takes_context=True)
def archive_card(context, review):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or review.phase not in (Phase.RECTIFY, Phase.ARCHIVED):
        return {"show": False}
    office = has_role(user, Role.OFFICE)
    if not office and not has_role(user, Role.COUNCIL):
        return {"show": False}
    done = ReviewArchive.objects.filter(review=review).first()
    if done is None and not office:
        return {"show": False}
    return {
        "show": True,
        "office": office,
        "review": review,
        "archive": done,
        "size": archiving.human_size(done.size) if done else "",
        "blockers": [] if done else archiving.blockers(review),
    }
