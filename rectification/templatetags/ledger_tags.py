"""Cards other apps' pages show about the rectification ledger, so their views need no import
of this app (dependencies point rectification → reviews, docs/decisions/0008):

    {% ledger_card review %}       the review page (office, phases 整改 and 归档): the ledger
    {% public_ledger review %}     the review's public page: the published rectification status
"""

from django import template

from reviews.workflow import Phase
from subjects.roles import Role, has_role

from ..ledger import progress
from ..models import LedgerPublication

register = template.Library()

SHOWN_IN = (Phase.RECTIFY, Phase.ARCHIVED)


@register.inclusion_tag("rectification/partials/_ledger_card.html", takes_context=True)
def ledger_card(context, review):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not has_role(user, Role.OFFICE) or review.phase not in SHOWN_IN:
        return {"show": False}
    return {
        "show": True,
        "review": review,
        "summary": progress(review),
        "published": LedgerPublication.objects.filter(review=review).exists(),
    }


@register.inclusion_tag("rectification/partials/_ledger_public.html")
def public_ledger(review):
    """Only once the office has published it, on a published review; item texts only of
    clauses that are not marked 不公开."""
    publication = LedgerPublication.objects.filter(review=review).first()
    if publication is None or review.published_at is None:
        return {"show": False}
    summary = progress(review)
    if not summary.subjects:
        return {"show": False}
    return {"show": True, "summary": summary, "published_at": publication.published_at}
