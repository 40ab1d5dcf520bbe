"""The official-document PDFs read back with poppler (pdftotext -bbox-layout, pdffonts): the
GB/T 9704-2012 geometry, the text, the fonts, the 版记, drafts, public versions, the font
setting, and R16 (hostile text renders literally and nothing outside static/ is fetched).

The document is a realistic two-page 评议意见 built in memory (unsaved rows: rendering needs no
database). Distances are in millimetres; pdftotext gives points (1 mm = 72 / 25.4 pt). A line's
box from pdftotext is its font's em box, so for the 16 pt 仿宋 body its top is the top of the
characters GB/T 9704 measures from.
"""

import builtins
import io
import re
import shutil
import socket
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import pytest

from rectification import pdf
from rectification.models import Document, DocumentKind, DocumentStatus, IssuingOrgan
from subjects.pdf import StaticOnlyFetcher

PT_PER_MM = 72 / 25.4
LEFT, TOP, RIGHT, BOTTOM = 28.0, 37.0, 28.0 + 156.0, 37.0 + 225.0  # the body area (版心)
PITCH = 225 / 22
CHAR_MM = 156 / 28
PAGE_NUMBER_EM_MM = 14 / PT_PER_MM  # one character of the 4号 page number
RARE = "堃喆赟珺"

COMMENDATION = (
    "常委会组成人员认为，该同志能够认真贯彻落实党中央决策部署和县委工作要求，依法履行职责，"
    "主动接受人大监督，工作作风务实，各项工作取得了明显成效。"
)
INTERNAL_CLAUSE = (
    "办理代表建议方面存在不足。代表建议答复后跟踪落实不够，个别建议存在重答复轻落实的现象。"
)
INTERNAL_PARAGRAPH = (
    "满意度测评结果为“满意”，满意率（含基本满意）为91.7%。"
    "会上，常委会组成人员就有关问题提出询问1次，均当场作了回答。"
)


def organ(**overrides) -> IssuingOrgan:
    fields = {
        "name": "示范县人民代表大会常务委员会",
        "header": "示范县人民代表大会常务委员会文件",
        "code": "示人常发",
        "signature": "示范县人大常委会",
        "printer": "示范县人大常委会办公室",
    }
    return IssuingOrgan(**{**fields, **overrides})


def opinion_body(*, rare: bool = True) -> list[dict]:
    name = "王堃喆" if rare else "王建国"
    return [
        {
            "kind": "paragraph",
            "text": "根据《中华人民共和国各级人民代表大会常务委员会监督法》和"
            "2024年度述职评议实施方案，常委会于2024年6月20日召开第二十三次会议，"
            f"听取了县公安局局长{name}同志的履职情况报告，"
            "进行了询问和满意度测评。现将评议意见转告如下：",
        },
        {"kind": "heading", "text": "一、总体评价"},
        {"kind": "paragraph", "text": COMMENDATION},
        {"kind": "paragraph", "text": INTERNAL_PARAGRAPH, "internal": True},
        {"kind": "heading", "text": "二、存在的问题"},
        {
            "kind": "clause",
            "text": "依法行政方面存在不足。部分执法人员执法程序不够规范；行政复议纠错率偏高，"
            + ("赟珺" if rare else "张三")
            + "等群众反映的问题办理不够及时。",
        },
        {"kind": "clause", "text": INTERNAL_CLAUSE, "internal": True},
        {
            "kind": "clause",
            "text": "接受人大监督方面存在不足。向常委会报告工作不够主动，"
            "对常委会审议意见的研究处理不够深入。",
        },
        {"kind": "heading", "text": "三、整改要求"},
        {
            "kind": "paragraph",
            "text": f"请{name}同志高度重视评议意见，逐条研究制定整改措施，"
            "明确整改责任、时限和标准，"
            "于收到本意见之日起1个月内将整改方案报送常委会，3个月内向常委会书面报告整改落实情况。"
            "常委会将适时对整改情况进行满意度测评。",
        },
    ]


def opinion_document(*, issued: bool = True, rare: bool = True, **overrides) -> Document:
    name = "王堃喆" if rare else "王建国"
    fields = {
        "kind": DocumentKind.OPINION,
        "organ": organ(),
        "status": DocumentStatus.ISSUED if issued else DocumentStatus.DRAFT,
        "year": 2024 if issued else None,
        "number": 12 if issued else None,
        "title": f"关于对县公安局局长{name}同志\n履职情况的评议意见",
        "recipients": f"{name}同志",
        "cc": "县委，县人民政府，县监察委员会，县人民法院，县人民检察院",
        "signed_on": date(2024, 7, 1),
        "body": opinion_body(rare=rare),
    }
    return Document(**{**fields, **overrides})


# --- reading PDFs back ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    text: str
    x0: float  # mm from the left edge of the page
    y0: float  # mm from the top
    x1: float
    y1: float
    height_pt: float

    @property
    def cells(self) -> int:
        """Characters plus the indent in body characters (a full line fills 28 cells)."""
        return len(self.text) + round((self.x0 - LEFT) / CHAR_MM)


@dataclass
class Pdf:
    path: Path
    pages: list[list[Line]]

    def text(self) -> str:
        return run("pdftotext", str(self.path), "-")

    def fonts(self) -> list[dict]:
        """pdffonts' table as dicts (name, emb, sub)."""
        rows = run("pdffonts", str(self.path)).splitlines()[2:]
        fonts = []
        for row in rows:
            cells = row.split()
            # name type… encoding emb sub uni object ID: the yes/no columns are 6th–4th last.
            fonts.append({"name": cells[0], "emb": cells[-5], "sub": cells[-4]})
        return fonts

    def find(self, predicate) -> list[Line]:
        return [line for page in self.pages for line in page if predicate(line)]

    def one(self, predicate) -> Line:
        found = self.find(predicate)
        assert len(found) == 1, found
        return found[0]


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def require_poppler():
    missing = [tool for tool in ("pdftotext", "pdffonts", "pdfinfo") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"poppler-utils is not installed ({', '.join(missing)}); CI installs it")


def read_pdf(data: bytes, path: Path) -> Pdf:
    require_poppler()
    assert data[:5] == b"%PDF-"
    path.write_bytes(data)
    # Our own renderer's output read back by poppler, not untrusted XML.
    root = ET.fromstring(run("pdftotext", "-bbox-layout", str(path), "-"))  # noqa: S314
    pages = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        lines = []
        for line in page.iter("{http://www.w3.org/1999/xhtml}line"):
            words = list(line.iter("{http://www.w3.org/1999/xhtml}word"))
            text = ""
            for n, word in enumerate(words):
                # Words are split at font changes as well as at spaces: join those that touch.
                if n and float(word.get("xMin")) - float(words[n - 1].get("xMax")) > 1.5:
                    text += " "
                text += word.text or ""
            box = [float(line.get(key)) for key in ("xMin", "yMin", "xMax", "yMax")]
            lines.append(
                Line(number, text, *(v / PT_PER_MM for v in box), height_pt=box[3] - box[1])
            )
        pages.append(sorted(lines, key=lambda line: (line.y0, line.x0)))
    return Pdf(path, pages)


def body_lines(document: Pdf, page: int) -> list[Line]:
    """The lines set in the body face (paragraphs, 楷体 clause leads, 主送, 落款) inside the
    body area; on page 1 from the 主送 down (the 版头 above is placed, not on the grid). The
    body face is recognised by the height of its box, taken from the 主送 line."""
    addressee = next(line for line in document.pages[0] if line.text.endswith("同志："))
    lines = [
        line
        for line in document.pages[page - 1]
        if abs(line.height_pt - addressee.height_pt) < 0.3 and TOP - 1 < line.y0 < BOTTOM
    ]
    if page == 1:
        lines = [line for line in lines if line.y0 >= addressee.y0]
    return lines


def full_width(text: str) -> bool:
    return all(unicodedata.east_asian_width(char) in "WF" for char in text)


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Pdf:
    return read_pdf(pdf.render(opinion_document()), tmp_path_factory.mktemp("pdf") / "doc.pdf")


# --- text --------------------------------------------------------------------------------------


def test_two_pages_with_title_number_addressee_and_page_numbers(issued):
    assert len(issued.pages) == 2
    assert issued.one(lambda line: line.text == "示范县人民代表大会常务委员会文件").page == 1
    assert issued.one(lambda line: line.text == "示人常发〔2024〕12号").page == 1
    title = issued.find(lambda line: line.height_pt > 22 and line.page == 1)
    texts = [line.text for line in title]
    assert "关于对县公安局局长王堃喆同志" in texts and "履职情况的评议意见" in texts
    assert issued.one(lambda line: line.text == "王堃喆同志：").page == 1
    assert issued.one(lambda line: line.text == "— 1 —").page == 1
    assert issued.one(lambda line: line.text == "— 2 —").page == 2
    # Clauses are numbered in Chinese with the lead sentence kept.
    assert issued.find(lambda line: line.text.startswith("（三）接受人大监督方面存在不足。"))


def test_rare_name_characters_survive_the_round_trip(issued):
    text = re.sub(r"\s+", "", issued.text())
    assert "王堃喆同志：" in text and "赟珺等群众" in text and "请王堃喆同志" in text
    assert "\ufffd" not in text  # no replacement characters: every glyph maps back


# --- GB/T 9704 geometry -----------------------------------------------------------------------


def test_body_starts_28_mm_from_the_left_and_37_mm_from_the_top(issued):
    for page in (1, 2):
        lines = body_lines(issued, page)
        assert len(lines) >= 8
        assert min(line.x0 for line in lines) == pytest.approx(LEFT, abs=1)
    # Unindented lines start exactly at the left edge; indented ones two characters in.
    starts = {round((line.x0 - LEFT) / CHAR_MM) for p in (1, 2) for line in body_lines(issued, p)}
    assert {0, 2} <= starts
    first = body_lines(issued, 2)[0]
    assert first.y0 == pytest.approx(TOP, abs=1), first
    assert issued.pages[1][0] == first  # nothing above the body on page 2


def test_a_full_body_line_holds_exactly_28_characters(issued):
    lines = [line for p in (1, 2) for line in body_lines(issued, p)]
    full = [line for line in lines if line.x1 > RIGHT - CHAR_MM / 2 and full_width(line.text)]
    assert len(full) >= 6, [line.text for line in lines]
    assert [line.cells for line in full] == [28] * len(full), [line.text for line in full]
    assert all(line.x1 == pytest.approx(RIGHT, abs=0.5) for line in full)
    # No line, full-width or not, runs past the right edge of the body area.
    assert max(line.x1 for line in lines) < RIGHT + 0.3
    assert max(line.cells for line in lines if full_width(line.text)) == 28


def test_lines_keep_the_22_line_grid_including_rare_characters(issued):
    ones = 0
    for page in (1, 2):
        lines = body_lines(issued, page)
        # Every body line of both pages on one grid of 225/22 mm from the top of the body area
        # (page 1's 版头 and title are set so that its body lands on the same grid).
        for line in lines:
            steps = (line.y0 - TOP) / PITCH
            assert abs(steps - round(steps)) * PITCH < 0.3, line
        for above, below in zip(lines, lines[1:], strict=False):
            gap = below.y0 - above.y0
            if gap == pytest.approx(PITCH, abs=0.3):
                ones += 1
                continue
            # A larger step only around a 黑体 heading or above the 落款's blank line.
            between = [line for line in issued.pages[page - 1] if above.y1 < line.y0 < below.y0]
            assert between or below.text == "示范县人大常委会", (above, below)
    assert ones >= 15
    # The fallback face (taller metrics) did not move its lines off the grid.
    rare = [line for p in (1, 2) for line in body_lines(issued, p) if set(RARE) & set(line.text)]
    assert len(rare) >= 4, rare
    # Page 1 is filled down to its 22nd line.
    assert round((body_lines(issued, 1)[-1].y0 - TOP) / PITCH) == 21


def test_page_numbers_sit_at_the_outer_corners_7_mm_below_the_body(issued):
    odd = issued.one(lambda line: line.text == "— 1 —")
    even = issued.one(lambda line: line.text == "— 2 —")
    # Odd pages: right, one character in from the right edge; even pages: left, one in.
    assert odd.x1 == pytest.approx(RIGHT - PAGE_NUMBER_EM_MM, abs=1)
    assert even.x0 == pytest.approx(LEFT + PAGE_NUMBER_EM_MM, abs=1)
    for number in (odd, even):
        assert number.y0 - BOTTOM == pytest.approx(7, abs=1)
        assert number.height_pt == pytest.approx(14, abs=0.5)  # 4号


def red_ink(path: Path, tmp_path: Path, dpi: int = 100) -> tuple[float, list[float], float, float]:
    """Page 1 rasterised: the top of the red ink (the organ mark), the rows in mm where red
    spans most of the body width (the rule), and the rule's left and right ends."""
    run("pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", str(path), str(tmp_path / "p"))
    data = next(tmp_path.glob("p*.ppm")).read_bytes()
    magic, size, _max, pixels = data.split(b"\n", 3)
    assert magic == b"P6"
    width, height = map(int, size.split())

    def red(x, y):
        r, g, b = pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3]
        return r > 180 and g < 90 and b < 90

    mm = 25.4 / dpi
    rows = [y for y in range(height) if any(red(x, y) for x in range(0, width, 2))]
    wide = [y for y in rows if sum(red(x, y) for x in range(width)) > 0.9 * 156 / mm]
    xs = [x for x in range(width) if red(x, wide[0])]
    return rows[0] * mm, [y * mm for y in wide], xs[0] * mm, (xs[-1] + 1) * mm


def test_masthead_reference_rule_and_title_positions(issued, tmp_path):
    organ_mark = issued.one(lambda line: line.text == "示范县人民代表大会常务委员会文件")
    reference = issued.one(lambda line: line.text == "示人常发〔2024〕12号")
    title = issued.one(lambda line: line.text == "关于对县公安局局长王堃喆同志")
    addressee = issued.one(lambda line: line.text == "王堃喆同志：")
    mark_top, rule_rows, rule_left, rule_right = red_ink(issued.path, tmp_path)
    # The organ mark's top edge 35 mm below the top of the body area (GB/T 9704 7.2.2),
    # centred; measured on the red ink, as a ruler on paper would.
    assert mark_top - TOP == pytest.approx(35, abs=1)
    assert (organ_mark.x0 + organ_mark.x1) / 2 == pytest.approx((LEFT + RIGHT) / 2, abs=1)
    # 发文字号 two lines below the mark, centred; the red rule 4 mm below it, as wide as the
    # body area; the title below the rule; 主送 flush left below the title.
    assert reference.y0 - organ_mark.y1 >= PITCH
    assert (reference.x0 + reference.x1) / 2 == pytest.approx((LEFT + RIGHT) / 2, abs=1)
    assert rule_rows[0] - reference.y1 == pytest.approx(4, abs=0.5)
    assert rule_rows[-1] - rule_rows[0] < 1.2
    assert rule_left == pytest.approx(LEFT, abs=0.5) and rule_right == pytest.approx(RIGHT, abs=0.5)
    assert rule_rows[-1] < title.y0 < addressee.y0
    assert title.height_pt > 22 and addressee.x0 == pytest.approx(LEFT, abs=0.5)


def test_fonts_are_embedded_subsets(issued):
    fonts = issued.fonts()
    assert len(fonts) >= 3, fonts
    for font in fonts:
        assert font["emb"] == "yes" and font["sub"] == "yes", font
        assert re.match(r"^[A-Z]{6}\+", font["name"]), font
    names = " ".join(font["name"] for font in fonts)
    assert "FandolFang" in names and "FandolKai" in names
    assert issued.path.stat().st_size < 400 * 1024


def test_the_record_is_at_the_foot_of_the_last_page_below_the_signature(issued):
    last = len(issued.pages)
    signature = issued.one(lambda line: line.text == "示范县人大常委会")
    signed = issued.one(lambda line: line.text == "2024年7月1日")
    cc = issued.one(lambda line: line.text.startswith("抄送："))
    printed = issued.one(lambda line: line.text == "2024年7月1日印发")
    printer = issued.one(lambda line: line.text == "示范县人大常委会办公室")
    assert signature.page == signed.page == cc.page == printed.page == printer.page == last
    # 印发机关 one character in from the left, 印发日期 one in from the right, on one line.
    assert printer.y0 == pytest.approx(printed.y0, abs=0.1)
    assert printer.x0 - LEFT == pytest.approx(14 / PT_PER_MM, abs=0.5)
    assert RIGHT - printed.x1 == pytest.approx(14 / PT_PER_MM, abs=0.5)
    # 落款: the organ two characters in from the right, the date two characters right of it.
    assert RIGHT - signature.x1 == pytest.approx(2 * CHAR_MM, abs=0.5)
    assert signed.x0 - signature.x0 == pytest.approx(2 * CHAR_MM, abs=0.5)
    assert signed.y0 - signature.y0 == pytest.approx(PITCH, abs=0.3)
    # Below the signature, not overlapping it; the last line of the 版记 at the foot.
    assert cc.y0 > signed.y1
    record = issued.find(lambda line: line.page == last and line.y0 >= cc.y0)
    for line in issued.pages[last - 1]:
        if line in record or line.text.startswith("— "):
            continue
        for part in record:
            assert line.y1 <= part.y0 or line.x1 <= part.x0 or part.x1 <= line.x0, (line, part)
    assert BOTTOM - 8 < printed.y1 <= BOTTOM + 0.5
    # 抄送 one character in, continuation lines aligned after the colon.
    assert cc.x0 - LEFT == pytest.approx(14 / PT_PER_MM, abs=0.5)
    follow = issued.one(lambda line: line.y0 > cc.y0 and line.text == "察院。")
    assert follow.x0 - cc.x0 == pytest.approx(3 * 14 / PT_PER_MM, abs=0.5)
    assert not issued.find(lambda line: line.page < last and "抄送" in line.text)


def test_a_record_that_does_not_fit_goes_to_a_new_last_page(tmp_path):
    document = opinion_document()
    document.body = document.body + [{"kind": "paragraph", "text": COMMENDATION}] * 2
    read = read_pdf(pdf.render(document), tmp_path / "long.pdf")
    last = len(read.pages)
    cc = read.one(lambda line: line.text.startswith("抄送："))
    signed = read.one(lambda line: line.text == "2024年7月1日")
    assert cc.page == last and signed.page in (last - 1, last)
    if signed.page == cc.page:
        assert cc.y0 > signed.y1
    for line in read.pages[last - 1]:
        if line.y0 < cc.y0 and not line.text.startswith("— "):
            assert line.y1 < cc.y0


# --- drafts, public versions, font settings ----------------------------------------------------


def test_a_draft_has_a_watermark_and_a_blank_number(issued, tmp_path):
    draft = read_pdf(pdf.render(opinion_document(issued=False), draft=True), tmp_path / "d.pdf")
    text = draft.text()
    for page in draft.pages:  # the watermark on every page
        assert {"草", "稿"} <= {line.text for line in page}, page
    assert "〔2024〕" in text and not re.search(r"〔2024〕\s*\d+\s*号", text)
    assert "示人常发〔2024〕" in text.replace(" ", "")
    assert "草" not in issued.text() and "稿" not in issued.text()


def test_the_public_version_leaves_out_internal_blocks(issued, tmp_path):
    public = read_pdf(pdf.render(opinion_document(), public=True), tmp_path / "p.pdf")
    full_text = re.sub(r"\s+", "", issued.text())
    public_text = re.sub(r"\s+", "", public.text())
    for internal in (INTERNAL_CLAUSE, INTERNAL_PARAGRAPH):
        assert internal[:20] in full_text and internal[:20] not in public_text
    # The remaining clauses are numbered without a gap.
    assert "（二）接受人大监督方面存在不足。" in public_text
    assert "（三）" not in public_text
    assert COMMENDATION[:20] in public_text


def test_fonts_are_a_setting(settings, tmp_path):
    document = opinion_document(rare=False)
    default = read_pdf(pdf.render(document), tmp_path / "default.pdf").fonts()
    assert any("FandolFang" in font["name"] for font in default)
    # Without rare characters the regular Noto Serif face is not used by default…
    assert not any(font["name"].endswith("+Noto-Serif-CJK-SC") for font in default)

    settings.PINGYI_DOC_FONT_BODY = '"Noto Serif CJK SC"'
    settings.PINGYI_DOC_FONT_KAI = '"Noto Serif CJK SC"'
    swapped = read_pdf(pdf.render(document), tmp_path / "swapped.pdf")
    names = [font["name"] for font in swapped.fonts()]
    # …and is once the setting names it; no Fandol face is left in the file.
    assert any(name.endswith("+Noto-Serif-CJK-SC") for name in names), names
    assert not any("Fandol" in name for name in names), names
    assert all(font["emb"] == font["sub"] == "yes" for font in swapped.fonts())
    # The grid does not depend on the face: 28 mm left edge, 28 characters a line.
    lines = body_lines(swapped, 1) + body_lines(swapped, 2)
    assert min(line.x0 for line in lines) == pytest.approx(LEFT, abs=1)
    full = [line for line in lines if line.x1 > RIGHT - CHAR_MM / 2 and full_width(line.text)]
    assert full and all(line.cells == 28 for line in full), [line.text for line in full]


# --- R16: hostile text, no fetching -------------------------------------------------------------

HOSTILE_IMG = '<img src="file:///etc/passwd">'
HOSTILE_LINK = '<link rel=stylesheet href="http://127.0.0.1:6379/">'
HOSTILE_STYLE = 'x<div style="background:url(http://127.0.0.1:6379/x)">'


def test_r16_hostile_text_is_printed_literally_and_nothing_is_fetched(settings, tmp_path):
    document = opinion_document(
        organ=organ(
            header=f"{HOSTILE_STYLE}文件",
            signature="示范县人大常委会<style>@import url(http://127.0.0.1:6379/s);</style>",
        ),
        title=f"关于{HOSTILE_IMG}的评议意见",
        recipients=f"王堃喆同志{HOSTILE_LINK}",
        cc=f"县委，{HOSTILE_IMG}",
        body=[
            {"kind": "paragraph", "text": f"正文{HOSTILE_IMG}{HOSTILE_LINK}"},
            {"kind": "clause", "text": f"条目。{HOSTILE_STYLE}</div>"},
            {"kind": "table", "header": [HOSTILE_IMG], "rows": [[HOSTILE_LINK]]},
        ],
    )
    connects, opened, fetched = [], [], []

    def refuse_connect(*args, **kwargs):
        connects.append(args)
        raise OSError("R16 test: no sockets")

    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    real_fetch = StaticOnlyFetcher.fetch

    def recording_fetch(self, url, *args, **kwargs):
        fetched.append(url)
        return real_fetch(self, url, *args, **kwargs)

    # A fresh font setup in this thread, so the fonts are fetched (through the fetcher) now.
    pdf._local.__dict__.clear()
    with (
        mock.patch.object(socket.socket, "connect", refuse_connect),
        mock.patch.object(socket.socket, "connect_ex", refuse_connect),
        mock.patch.object(socket, "create_connection", refuse_connect),
        mock.patch.object(socket, "getaddrinfo", refuse_connect),
        mock.patch.object(builtins, "open", recording_open),
        mock.patch.object(io, "open", recording_open),
        mock.patch.object(StaticOnlyFetcher, "fetch", recording_fetch),
    ):
        data = pdf.render(document)
    assert connects == []
    assert not [path for path in opened if "passwd" in path]
    static = settings.PINGYI_SITE_URL.rstrip("/") + settings.STATIC_URL
    assert fetched and all(url.startswith(static + "fonts/") for url in fetched), fetched

    read = read_pdf(data, tmp_path / "r16.pdf")
    text = re.sub(r"\s+", "", read.text())
    for hostile in (HOSTILE_IMG, HOSTILE_LINK, HOSTILE_STYLE):
        assert re.sub(r"\s+", "", hostile) in text, hostile
    assert "@importurl(http://127.0.0.1:6379/s)" in text
    assert "root:" not in text


def test_r16_the_fetcher_allows_only_our_static_files(settings):
    fetcher = StaticOnlyFetcher()
    site = settings.PINGYI_SITE_URL.rstrip("/")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:6379/",
        # The right path on another host:
        "http://127.0.0.1:6379/static/fonts/fandol/FandolFang-Regular.otf",
        f"{site}/static/../config/settings/base.py",
        f"{site}/media/x.pdf",
        "ftp://127.0.0.1/x",
    ):
        refuse = mock.patch.object(socket.socket, "connect", side_effect=AssertionError(url))
        with refuse, pytest.raises(ValueError):
            fetcher.fetch(url)
    font = fetcher.fetch(f"{site}/static/fonts/fandol/FandolFang-Regular.otf")
    assert font.read()[:4] == b"OTTO"
