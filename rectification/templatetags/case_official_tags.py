"""The official's rectification card, for the official's subject page (reviews), so that page
needs no import of this app in its view (docs/decisions/0008):

    {% official_case_card subject %}     status, the next deadline, a button to the case
"""

from django import template

from ..models import Obligation, RectificationCase, RectificationReport
from ..views_case_official import due_of

register = template.Library()


@register.inclusion_tag("rectification/partials/_official_case_card.html")
def official_case_card(subject):
    case = RectificationCase.objects.select_related("plan").filter(subject_id=subject.pk).first()
    if case is None:
        return {"case": None}
    report = (
        RectificationReport.objects.select_related("round")
        .filter(round__case=case)
        .order_by("-round__number")
        .first()
    )
    following = (
        Obligation.objects.filter(round__case=case, fulfilled_at__isnull=True)
        .order_by("due_on", "id")
        .first()
    )
    return {"case": case, "plan": case.plan, "report": report, "due": due_of(following)}
