"""Tags of the satisfaction vote: a round's outcome badge and the council home page's card."""

from django import template
from django.utils.html import format_html

from reviews.workflow import Phase

from ..models import CaseStatus, RectificationRound, RoundOutcome

register = template.Library()

BADGES = {
    RoundOutcome.PENDING: "text-bg-light border",
    RoundOutcome.SATISFIED: "text-bg-success",
    RoundOutcome.DISSATISFIED: "text-bg-danger",
    RoundOutcome.CONTINUED: "text-bg-warning",
}


@register.simple_tag
def round_outcome(round_):
    """{% round_outcome round %}: the round's 测评结果 as a badge ("待测评" while its poll has not
    been published; "测评中" once a poll is set)."""
    if round_ is None:
        return ""
    label = round_.get_outcome_display()
    if round_.outcome == RoundOutcome.PENDING and round_.poll_id:
        label = "测评中"
    return format_html(
        '<span class="badge {}">{}</span>', BADGES.get(round_.outcome, "text-bg-light"), label
    )


@register.simple_tag
def continue_count() -> int:
    """{% continue_count as n %}: rounds voted 不满意 whose 继续整改 the council has yet to
    decide (one count query), for the card "N 个整改事项待决定继续整改"."""
    return (
        RectificationRound.objects.filter(
            outcome=RoundOutcome.DISSATISFIED, case__status=CaseStatus.OPEN
        )
        .exclude(case__review__phase=Phase.ARCHIVED)
        .count()
    )
