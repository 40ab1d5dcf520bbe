"""Official documents as GB/T 9704-2012 PDFs (《党政机关公文格式》), rendered by WeasyPrint.

Geometry (DOMAIN.md, STACK.md): A4, body area 156 mm × 225 mm starting 37 mm from the top and
28 mm from the left, 22 lines of 28 characters in 3号 (16 pt) 仿宋; the red 版头 35 mm below
the top of the body area; page numbers "— N —" in 4号 at the outer corners 7 mm below it; the
版记 (抄送, 印发) at the foot of the last page as a footnote, so body text can never run over it.

R16: templates escape every user text, and the only URLs the renderer may read are the
project's own static files (subjects.pdf.StaticOnlyFetcher); fonts are a setting.
"""

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from subjects.pdf import StaticOnlyFetcher

from . import wording
from .documents import display_blocks, public_blocks
from .models import Document

# Fonts end with Noto Serif CJK SC: Fandol lacks rare name characters (堃喆赟珺), and without
# a CJK serif at the end fontconfig substitutes a sans face silently.
FALLBACK = '"Noto Serif CJK SC", serif'
BODY_PT = 16  # 3号
PAGE_NUMBER_PT = 14  # 4号
TITLE_PT = 22  # 2号
LINES = 22
CHARS = 28
BODY_MM = (156, 225)
# The first line's characters, not its line box, should start at the top of the body area: the
# half-leading of the 16 pt face on the 225/22 mm grid is moved above the area (2.29 mm).
GLYPH_OFFSET_MM = (BODY_MM[1] / LINES - BODY_PT * 25.4 / 72) / 2


@dataclass(frozen=True)
class Fonts:
    title: str
    body: str
    heading: str
    kai: str
    faces: tuple[tuple[str, str], ...]  # (family, static path)


def fonts() -> Fonts:
    def stack(value: str) -> str:
        return f"{value}, {FALLBACK}"

    faces = []
    for entry in filter(None, (e.strip() for e in settings.PINGYI_DOC_FONT_FILES.split(";"))):
        family, _, path = entry.partition("=")
        faces.append((family.strip(), path.strip()))
    return Fonts(
        title=stack(settings.PINGYI_DOC_FONT_TITLE),
        body=stack(settings.PINGYI_DOC_FONT_BODY),
        heading=stack(settings.PINGYI_DOC_FONT_HEADING),
        kai=stack(settings.PINGYI_DOC_FONT_KAI),
        faces=tuple(faces),
    )


_local = threading.local()


def _font_setup(current: Fonts) -> tuple[FontConfiguration, CSS]:
    """One FontConfiguration and one parsed @font-face sheet per thread and font setting:
    loading a 7 MB OTF again for every document would cost most of a render."""
    cached = getattr(_local, "fonts", None)
    if cached is None or cached[0] != current:
        font_config = FontConfiguration()
        site = settings.PINGYI_SITE_URL.rstrip("/")
        static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        rules = "\n".join(
            f'@font-face {{ font-family: "{family}"; src: url("{site}{static_url}{path}"); }}'
            for family, path in current.faces
        )
        sheet = CSS(string=rules, font_config=font_config, url_fetcher=StaticOnlyFetcher())
        cached = (current, font_config, sheet)
        _local.fonts = cached
    return cached[1], cached[2]


@cache
def _geometry() -> dict:
    pitch_mm = BODY_MM[1] / LINES
    char_pt = BODY_MM[0] / CHARS / 25.4 * 72
    return {
        "pitch_mm": f"{pitch_mm:.4f}",
        # A hair tighter than exact, so rounding never pushes the 28th character over.
        "letter_spacing_pt": f"{char_pt - BODY_PT - 0.02:.4f}",
        "top_mm": f"{37 - GLYPH_OFFSET_MM:.2f}",
        # 0.1 mm of slack: 22 line boxes fill the area exactly, and rounding must not push the
        # 22nd line to the next page.
        "bottom_mm": f"{35 + GLYPH_OFFSET_MM - 0.1:.2f}",
        # Page numbers: the top of the number 7 mm below the real bottom of the body area.
        "number_pad_mm": f"{7 + GLYPH_OFFSET_MM - 0.1:.2f}",
        "rule_gap_mm": f"{4 - GLYPH_OFFSET_MM:.2f}",
    }


@cache
def _covered(faces: tuple[tuple[str, str], ...]) -> frozenset[int] | None:
    """Code points every configured font file covers; None when no file is configured."""
    from django.contrib.staticfiles import finders
    from fontTools.ttLib import TTFont

    covered: frozenset[int] | None = None
    for _family, path in faces:
        found = finders.find(path)
        if not found:
            continue
        with TTFont(found, lazy=True) as font:
            points = frozenset(font.getBestCmap())
        covered = points if covered is None else covered & points
    return covered


def mark_rare(text: str) -> str:
    """Escape `text` and wrap each character the document fonts lack (堃喆赟珺 …) in a span
    with no line height: the fallback face has taller metrics and would otherwise push its
    line off the 22-line grid."""
    covered = _covered(fonts().faces)
    out = []
    for char in text:
        escaped = escape(char)
        if covered is not None and ord(char) > 0x2E7F and ord(char) not in covered:
            out.append(f'<span class="rare">{escaped}</span>')
        else:
            out.append(escaped)
    return mark_safe("".join(out))  # noqa: S308  (every character escaped above)


def header_size_pt(header: str) -> float:
    """The organ mark as large as fits the 156 mm line (at most 36 pt, the usual size)."""
    width_pt = BODY_MM[0] / 25.4 * 72 * 0.96
    return round(min(36.0, width_pt / max(len(header), 1)), 1)


def masthead(header_pt: float) -> dict:
    """The 版头's vertical places. The organ mark's em box starts 35 mm below the top of the
    body area (GB/T 9704 7.2.2; its line box starts a half-leading higher). The 发文字号 comes
    about two blank lines below the mark, rounded so that it (and with it the title, 主送 and
    the body of page 1) sits on the 22-line grid, as in a word processor with the document
    grid on; otherwise page 1 loses most of a line at its foot."""
    pitch = BODY_MM[1] / LINES
    header_mm = header_pt * 25.4 / 72
    # In a 1.2 line box the ideographic em box of Noto Serif CJK (the default title face) starts
    # 0.15 em below the top (its ascent and descent are not symmetric about the em box).
    organ_gap = 35 + GLYPH_OFFSET_MM - 0.15 * header_mm
    mark_bottom = organ_gap + 1.2 * header_mm
    lines = round(mark_bottom / pitch + 2)
    return {
        "organ_gap_mm": f"{organ_gap:.3f}",
        "reference_gap_mm": f"{lines * pitch - mark_bottom:.3f}",
    }


def width_em(text: str) -> float:
    """Approximate advance of `text` in em: CJK and full-width forms one em, others half."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in text)


def date_cn(day) -> str:
    """The 成文日期, or blanks to write by hand on an unsigned draft."""
    return wording.date_cn(day) if day else "　　年　月　日"


def signature_layout(signature: str, signed_on) -> dict:
    """The 落款 of a document without seal (GB/T 9704-2012 7.3.5.2): the organ right-indented
    two characters, the date on the next line starting two characters right of the organ's
    first character; a date longer than that is right-indented two characters and the organ
    moves left to keep the two-character step."""
    date = date_cn(signed_on)
    name_em, date_em = width_em(signature), width_em(date)
    name_right, date_right = 2.0, name_em - date_em
    if date_right < 2:
        date_right = 2.0
        name_right = date_em + 4 - name_em
    return {
        "date": date,
        "printed": f"{date}印发",
        "name_right_em": f"{name_right:g}",
        "date_right_em": f"{date_right:g}",
    }


def context_for(document: Document, *, draft: bool, public: bool = False) -> dict:
    blocks = display_blocks(public_blocks(document) if public else document.body)
    cc = [line.strip() for line in document.cc.replace("，", "，\n").splitlines() if line.strip()]
    return {
        "document": document,
        "organ": document.organ,
        "blocks": blocks,
        "cc": "".join(cc).rstrip("，,、。") if cc else "",
        "draft": draft,
        "reference": document.reference
        or f"{document.organ.code}〔{document.signed_on.year if document.signed_on else '    '}〕"
        "    号",
        "header_pt": header_size_pt(document.organ.header),
        "masthead": masthead(header_size_pt(document.organ.header)),
        "sign": signature_layout(document.organ.signature, document.signed_on),
        "fonts": fonts(),
        "g": _geometry(),
        "body_pt": BODY_PT,
        "title_pt": TITLE_PT,
        "number_pt": PAGE_NUMBER_PT,
    }


def render(document: Document, *, draft: bool = False, public: bool = False) -> bytes:
    """The document's PDF. A draft carries a watermark and a blank number."""
    current = fonts()
    font_config, face_sheet = _font_setup(current)
    html = render_to_string(
        "pdf/rectification/document.html", context_for(document, draft=draft, public=public)
    )
    return HTML(
        string=html,
        base_url=settings.PINGYI_SITE_URL.rstrip("/") + "/",
        url_fetcher=StaticOnlyFetcher(),
    ).write_pdf(stylesheets=[face_sheet], font_config=font_config)
