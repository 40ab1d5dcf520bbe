"""Printed questionnaire material rendered with WeasyPrint: the sheet of invitation slips,
the open-link poster and the paper questionnaire.

R16: the renderer fetches nothing but data: URIs and the project's own static files
(subjects.pdf.StaticOnlyFetcher); templates escape every user text; fonts come from the
system (fontconfig), not from URLs.
"""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import HTML

from subjects.pdf import StaticOnlyFetcher, static_file_for  # noqa: F401  (shared fetcher)

from .models import QuestionKind, Questionnaire

FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'
SANS_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif'
SLIPS_PER_PAGE = 8


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(
        template, {"font_stack": FONT_STACK, "sans_stack": SANS_STACK, **context}
    )
    return HTML(
        string=html,
        base_url=settings.PINGYI_SITE_URL.rstrip("/") + "/",
        url_fetcher=StaticOnlyFetcher(),
    ).write_pdf()


def qr_svg(text: str) -> str:
    """A QR code as inline SVG (sized by CSS). segno draws modules only: the encoded text
    never appears in the markup, so it needs no escaping."""
    svg = segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return mark_safe(svg)  # noqa: S308


def slips_pdf(questionnaire: Questionnaire, codes: list[str], *, label: str) -> bytes:
    from .distribution import absolute, answer_code_path, code_entry_path

    slips = [{"code": code, "qr": qr_svg(absolute(answer_code_path(code)))} for code in codes]
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    return render_pdf(
        "surveys/distribute/pdf_slips.html",
        {
            "questionnaire": questionnaire,
            "pages": pages,
            "label": label,
            "entry_url": absolute(code_entry_path()),
            "closes_at": timezone.localtime(questionnaire.closes_at),
        },
    )


def poster_pdf(questionnaire: Questionnaire) -> bytes:
    from .distribution import absolute, open_link_path

    url = absolute(open_link_path(questionnaire))
    return render_pdf(
        "surveys/distribute/pdf_poster.html",
        {
            "questionnaire": questionnaire,
            "url": url,
            "qr": qr_svg(url),
            "closes_at": timezone.localtime(questionnaire.closes_at),
        },
    )


def paper_pdf(questionnaire: Questionnaire, structure) -> bytes:
    number = 0
    landscape = False
    for section in structure:
        for view in section.questions:
            number += 1
            view.number = number
            question = view.question
            if question.kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX):
                view.choices = [choice.label for choice in question.scale]
            elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                view.choices = list(question.options)
            else:
                view.choices = []
            # A wide matrix (e.g. 6 dimensions × 3 grades) turns the pages to landscape.
            view.wide = question.kind == QuestionKind.MATRIX and (
                len(view.columns) * len(view.choices) > 9
            )
            landscape = landscape or view.wide
    return render_pdf(
        "surveys/distribute/pdf_paper.html",
        {
            "questionnaire": questionnaire,
            "structure": structure,
            "closes_at": timezone.localtime(questionnaire.closes_at),
            "text_lines": range(4),
            "landscape": landscape,
        },
    )
