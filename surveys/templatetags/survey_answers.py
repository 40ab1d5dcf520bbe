"""Lookups for the answer form partial (`templates/surveys/partials/_answer_form.html`).

`values` may be a QueryDict (request.POST), or a dict of field name → a string or a list of
strings; `errors` is a dict of field name → message.
"""

from django import template

register = template.Library()


@register.filter
def answer_values(values, name) -> list[str]:
    """Every submitted value of a field, as strings."""
    if not values:
        return []
    if hasattr(values, "getlist"):
        return [str(v) for v in values.getlist(name)]
    value = values.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    return [str(value)]


@register.filter
def answer_value(values, name) -> str:
    """The submitted value of a one-value field ('' when none)."""
    found = answer_values(values, name)
    return found[-1] if found else ""


@register.filter
def answer_error(errors, name) -> str:
    if not errors:
        return ""
    return errors.get(name, "")


@register.filter
def question_errors(errors, question_view) -> list[str]:
    """The messages of a question's cells, in display order (for the summary at the top)."""
    if not errors:
        return []
    return [errors[cell.name] for cell in question_view.cells if cell.name in errors]


@register.filter
def first_error_cell(errors, question_view) -> str:
    """The field name of the first cell of a question with an error, to link to it."""
    if errors:
        for cell in question_view.cells:
            if cell.name in errors:
                return cell.name
    return ""
