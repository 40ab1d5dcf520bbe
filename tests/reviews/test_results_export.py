"""The 测评结果统计表 (reviews/exports.py): a poll run end to end through the meeting services,
then its results read back from the .xlsx."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from reviews import meetings
from reviews.exports import poll_results_workbook
from reviews.models import Choice, Subject, VoterGroup
from tests.reviews.test_secret_ballot import build, items, vote

S, B, D, U = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED, Choice.UNKNOWN


def load(res):
    return load_workbook(BytesIO(poll_results_workbook(res)))


def header_row(sheet, first: str = "序号") -> int:
    return next(
        row[0].row for row in sheet.iter_rows(min_col=1, max_col=1) if row[0].value == first
    )


def table(sheet):
    """The results table as {column header: [values of each subject row]}, and its header
    row. The header is two rows: 测评票数/其中 over the counts, the rest merged down."""
    top = header_row(sheet)
    columns = {}
    for column in range(1, sheet.max_column + 1):
        name = sheet.cell(row=top + 1, column=column).value
        name = name or sheet.cell(row=top, column=column).value
        columns[name] = column
    rows = []
    row = top + 2
    while isinstance(sheet.cell(row=row, column=1).value, int):
        rows.append({name: sheet.cell(row=row, column=c) for name, c in columns.items()})
        row += 1
    return top, rows


def texts(sheet) -> list[str]:
    return [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]


# Six members vote electronically; the deputies vote on paper (7 valid of 10 issued).
MEMBER_BALLOTS = [(S, S, D), (S, S, D), (S, S, D), (B, S, D), (B, S, D), (D, S, D)]


@pytest.fixture
def closed(office_clerk):
    s = build(office_clerk, present=6)
    poll = s.poll
    for member, choices in zip(s.members[:6], MEMBER_BALLOTS, strict=True):
        vote(poll, member, *choices)
    first, second, third = items(poll)
    meetings.record_paper(
        actor=office_clerk,
        poll=poll,
        group=VoterGroup.DEPUTY,
        issued=10,
        returned=9,
        invalid=1,
        blank=1,
        counts={
            first.pk: {S: 4, D: 3},
            second.pk: {B: 7},
            third.pk: {S: 5, B: 1, D: 1},
        },
    )
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    return s, meetings.results(poll)


@pytest.mark.django_db
def test_counts_rates_and_grades_per_subject(closed):
    s, res = closed
    book = load(res)
    assert book.sheetnames == ["测评结果统计表", "分组统计"]
    sheet = book["测评结果统计表"]
    lines = texts(sheet)
    assert sheet["A1"].value == "第二十三次会议民主测评结果统计表"
    assert "A1:" in str(sheet.merged_cells)
    meeting_line = next(t for t in lines if t.startswith("会议："))
    assert "第二十三次会议" in meeting_line
    assert "应参加测评 6 人" in meeting_line and "收回电子票 6 张" in meeting_line
    paper = next(t for t in lines if t.startswith("纸质票（列席代表）"))
    assert "发出 10 张" in paper and "收回 9 张" in paper
    assert "无效 1 张" in paper and "空白 1 张" in paper and "有效 7 张" in paper
    assert "作废" not in paper
    rule = next(t for t in lines if t.startswith("评定规则"))
    assert "有效票" in rule and "80%" in rule and "50%" in rule

    top, rows = table(sheet)
    assert sheet.cell(row=top, column=4).value == "测评票数"
    assert "不了解" not in [sheet.cell(row=top + 1, column=c).value for c in range(1, 20)]
    assert [r["序号"].value for r in rows] == [1, 2, 3]
    subjects = [i.subject for i in items(res.poll)]
    assert [r["评议对象"].value for r in rows] == [x.display_name for x in subjects]
    assert [r["单位职务"].value for r in rows] == [f"{x.unit_name}{x.post}" for x in subjects]

    # Electronic plus paper: 6 ballots + 7 valid paper ballots = 13 per subject.
    counts = [(r["满意"].value, r["基本满意"].value, r["不满意"].value) for r in rows]
    assert counts == [(3 + 4, 2, 1 + 3), (6, 7, 0), (5, 1, 6 + 1)]
    assert [r["合计"].value for r in rows] == [13, 13, 13]
    assert [r["电子票"].value for r in rows] == [6, 6, 6]
    assert [r["纸质票"].value for r in rows] == [7, 7, 7]
    assert [r["计算基数"].value for r in rows] == [13, 13, 13]

    first, second, third = rows
    assert first["满意率"].value == pytest.approx(9 / 13)
    assert first["满意率"].number_format == "0.0%"
    assert first["不满意率"].value == pytest.approx(4 / 13)
    assert second["满意率"].value == pytest.approx(1.0)
    assert third["不满意率"].value == pytest.approx(7 / 13)
    assert [r["测评等次"].value for r in rows] == ["基本满意", "满意", "不满意"]
    assert [r["说明"].value for r in rows] == [r.grade.explanation for r in res.items]
    assert "评为不满意" in third["说明"].value

    # Frozen under the two header rows, A4 landscape, one page wide, headers repeated.
    assert sheet.freeze_panes == f"C{top + 2}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.fitToWidth) == 1
    assert sheet.print_title_rows == f"${top}:${top + 1}"
    assert first["满意"].border.left.style == "thin"
    assert not any("少于" in t for t in lines)


@pytest.mark.django_db
def test_group_sheet_breaks_out_each_group(closed):
    _s, res = closed
    sheet = load(res)["分组统计"]
    top = header_row(sheet)
    headers = [sheet.cell(row=top, column=c).value for c in range(1, sheet.max_column + 1)]
    assert headers == ["序号", "评议对象", "投票群体", "满意", "基本满意", "不满意", "合计"]
    rows = [
        [c.value for c in row] for row in sheet.iter_rows(min_row=top + 1, max_col=len(headers))
    ]
    names = [i.subject.display_name for i in items(res.poll)]
    assert rows == [
        [1, names[0], "常委会组成人员", 3, 2, 1, 6],
        [1, names[0], "列席代表", 4, 0, 3, 7],
        [2, names[1], "常委会组成人员", 6, 0, 0, 6],
        [2, names[1], "列席代表", 0, 7, 0, 7],
        [3, names[2], "常委会组成人员", 0, 0, 6, 6],
        [3, names[2], "列席代表", 5, 1, 1, 7],
    ]
    assert sheet.freeze_panes == f"A{top + 1}"
    assert sheet.print_title_rows == f"${top}:${top}"


@pytest.mark.django_db
def test_unknown_column_small_groups_and_void_paper(office_clerk):
    # 3 members and 2 deputies vote: the deputies are fewer than k = 3, so no group is shown.
    s = build(office_clerk, present=6, deputies=2, deputies_vote=True, allow_unknown=True)
    poll = s.poll
    for member in s.members[:3]:
        vote(poll, member, S, U, B)
    for deputy in s.deputies:
        vote(poll, deputy, U, D, B)
    first = items(poll)[0]
    # More paper ballots returned than issued: the members' paper count is void.
    meetings.record_paper(
        actor=office_clerk,
        poll=poll,
        group=VoterGroup.MEMBER,
        issued=2,
        returned=3,
        invalid=0,
        blank=0,
        counts={first.pk: {D: 3}},
    )
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    res = meetings.results(poll)
    assert all(r.hidden_groups for r in res.items)

    book = load(res)
    assert book.sheetnames == ["测评结果统计表"]
    sheet = book.active
    lines = texts(sheet)
    paper = next(t for t in lines if t.startswith("纸质票（常委会组成人员）"))
    assert "发出 2 张" in paper and "收回 3 张" in paper and "作废" in paper
    assert "注：投票人数少于 3 人的群体不单独列示。" in lines

    top, rows = table(sheet)
    subheaders = [sheet.cell(row=top + 1, column=c).value for c in range(4, 9)]
    assert subheaders == ["满意", "基本满意", "不满意", "不了解", "合计"]
    counts = [[r[k].value for k in ("满意", "基本满意", "不满意", "不了解", "合计")] for r in rows]
    # The void paper ballots (3 不满意 for the first subject) are not counted.
    assert counts == [[3, 0, 0, 2, 5], [0, 0, 2, 3, 5], [0, 5, 0, 0, 5]]
    assert [r["纸质票"].value for r in rows] == [0, 0, 0]
    # 不了解 is a valid ballot, so it counts in the base: 3 of 5 = 60% < 80%.
    assert rows[0]["满意率"].value == pytest.approx(0.6)
    assert [r["测评等次"].value for r in rows] == ["基本满意", "基本满意", "满意"]
    assert rows[1]["不满意率"].value == pytest.approx(0.4)


@pytest.mark.django_db
def test_all_members_base_and_a_name_that_looks_like_a_formula(office_clerk):
    s = build(office_clerk, present=6, open_poll=False)
    rules = s.review.rules
    rules.grading_denominator = "members"
    rules.save()
    Subject.objects.filter(pk=s.subjects[0].pk).update(display_name="=HYPERLINK(1)")
    poll = meetings.open_poll(actor=office_clerk, poll=s.poll)
    for member in s.members[:6]:
        vote(poll, member, S, B, D)
    poll = meetings.close_poll(actor=office_clerk, poll=poll)
    res = meetings.results(poll)

    book = load(res)
    sheet = book.active
    rule = next(t for t in texts(sheet) if t.startswith("评定规则"))
    assert "全体组成人员 9 人" in rule
    _top, rows = table(sheet)
    assert rows[0]["评议对象"].value == "=HYPERLINK(1)"
    assert rows[0]["评议对象"].data_type == "s"
    assert [r["计算基数"].value for r in rows] == [9, 9, 9]
    # 6 满意 of 9 members = 66.7% < 80%: 基本满意; 6 不满意 of 9 = 66.7% > 50%: 不满意.
    assert rows[0]["满意率"].value == pytest.approx(6 / 9)
    assert rows[2]["不满意率"].value == pytest.approx(6 / 9)
    assert [r["测评等次"].value for r in rows] == ["基本满意", "基本满意", "不满意"]
    # Only the members voted: the one group is broken out (6 ≥ k).
    groups = book["分组统计"]
    assert [c.value for c in groups[header_row(groups) + 1]][2:] == ["常委会组成人员", 6, 0, 0, 6]


@pytest.mark.django_db
def test_no_ballots_no_rates_and_no_group_sheet(office_clerk):
    s = build(office_clerk)
    poll = meetings.close_poll(actor=office_clerk, poll=s.poll)
    res = meetings.results(poll)
    book = load(res)
    assert book.sheetnames == ["测评结果统计表"]
    sheet = book.active
    assert "纸质票：无" in texts(sheet)
    _top, rows = table(sheet)
    assert len(rows) == 3
    for row in rows:
        assert row["合计"].value == 0
        assert row["满意率"].value is None and row["计算基数"].value is None
        assert row["测评等次"].value == "无有效票"
