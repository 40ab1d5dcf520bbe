"""Cards other apps' pages show about opinions and documents, so those pages need no import of
this app in their views (dependencies point rectification → reviews, docs/decisions/0008):

    {% rectification_card review %}          the review page (office): link to its documents
    {% official_opinion_card subject %}      the official's subject page: the issued opinion
    {% public_documents review %}            the review's public page: published documents
"""

from django import template
from django.db.models import Count, Q

from reviews.workflow import Phase
from subjects.roles import Role, has_role

from ..models import DocumentStatus, Opinion, OpinionStatus
from ..selectors import issued_opinion_document, published_documents

register = template.Library()

# Opinions are drafted from the meeting on; before it the card would only be noise.
SHOWN_IN = (Phase.MEETING, Phase.RECTIFY, Phase.ARCHIVED)


@register.inclusion_tag("rectification/partials/_review_card.html", takes_context=True)
def rectification_card(context, review):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not has_role(user, Role.OFFICE) or review.phase not in SHOWN_IN:
        return {"show": False}
    counts = Opinion.objects.filter(review=review).aggregate(
        total=Count("id"),
        submitted=Count("id", filter=Q(status=OpinionStatus.SUBMITTED)),
        approved=Count("id", filter=Q(status=OpinionStatus.APPROVED)),
        issued=Count("id", filter=Q(status=OpinionStatus.ISSUED)),
    )
    documents = review.documents.exclude(kind="opinion").aggregate(
        total=Count("id"), issued=Count("id", filter=Q(status=DocumentStatus.ISSUED))
    )
    return {"show": True, "review": review, "counts": counts, "documents": documents}


@register.inclusion_tag("rectification/partials/_official_card.html")
def official_opinion_card(subject):
    return {"subject": subject, "document": issued_opinion_document(subject)}


@register.inclusion_tag("rectification/partials/_public_documents.html")
def public_documents(review):
    return {"documents": list(published_documents(review))}
