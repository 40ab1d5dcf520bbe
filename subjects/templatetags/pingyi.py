from django import template

from subjects.audit import ACTION_LABELS

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)
