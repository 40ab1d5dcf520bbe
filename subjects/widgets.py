"""Form widgets for pages that must stay fast with long lists."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A <select> whose options are built in Python.

    Django's Select renders one template per option; with a hundred units in a filter that
    alone costs several milliseconds a page. Flat choices only (no option groups).
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        selected.discard("None")
        rows = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                raise ValueError("FastSelect does not render option groups")
            option_value = "" if option_value is None else str(option_value)
            rows.append((option_value, " selected" if option_value in selected else "", label))
        options = format_html_join("", '<option value="{}"{}>{}</option>', rows)
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def bootstrap(form: forms.Form) -> forms.Form:
    """Give every widget Bootstrap's class (and is-invalid when the field has errors), for
    forms rendered with the light `partials/_field.html` instead of crispy-forms."""
    for name, field in form.fields.items():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
    return form
