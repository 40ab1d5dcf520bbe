"""Excel file of a 民主测评: the 测评结果统计表 printed for the meeting's files.

Only counts leave the database here. The poll has no voter identities to give away, and a
voter group below k ballots is never broken out (the grouping of `meetings.results`).
"""

from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from subjects.exports import HEADER_FILL, HEADER_FONT

from . import grading
from .meetings import PollResults
from .models import PollPurpose, VoterGroup

RESULTS_SHEET = "测评结果统计表"
GROUPS_SHEET = "分组统计"
PERCENT_FORMAT = "0.0%"
TITLE_FONT = Font(bold=True, size=16)
INFO_FONT = Font(size=11)
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
INFO = Alignment(horizontal="left", vertical="center", wrap_text=True)
WIDTHS = {
    "序号": 6,
    "评议对象": 12,
    "单位职务": 26,
    "投票群体": 16,
    "choice": 9,
    "合计": 8,
    "电子票": 8,
    "纸质票": 8,
    "计算基数": 9,
    "满意率": 9,
    "不满意率": 9,
    "测评等次": 10,
    "说明": 60,
}


def _choices(res: PollResults) -> list[str]:
    """满意, 基本满意, 不满意, and 不了解 when the poll offered it (or, defensively, when a
    count of it was entered anyway: every counted mark gets a column)."""
    choices = [grading.SATISFIED, grading.BASIC, grading.DISSATISFIED]
    if res.poll.allow_unknown or any(r.total[grading.UNKNOWN] for r in res.items):
        choices.append(grading.UNKNOWN)
    return choices


def _put(sheet, row: int, column: int, value, *, number_format: str | None = None):
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a name is never a formula (spreadsheet injection)
    if number_format:
        cell.number_format = number_format
    return cell


def _info_row(sheet, row: int, text: str, width: int, *, font=INFO_FONT, height=None) -> None:
    cell = _put(sheet, row, 1, text)
    cell.font = font
    cell.alignment = INFO
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    if height:
        sheet.row_dimensions[row].height = height


def _group_label(group: str) -> str:
    try:
        return VoterGroup(group).label
    except ValueError:
        return group


def _meeting_line(res: PollResults) -> str:
    poll = res.poll
    meeting = poll.meeting
    day = timezone.localtime(meeting.starts_at)
    return (
        f"会议：{meeting.session_name}　时间：{day.year}年{day.month}月{day.day}日　"
        f"应参加测评 {poll.entitled_count} 人　收回电子票 {res.electronic_ballots} 张"
    )


def _paper_lines(res: PollResults) -> list[str]:
    if not res.paper_tallies:
        return ["纸质票：无"]
    lines = []
    for tally in sorted(res.paper_tallies, key=lambda t: (t.group != VoterGroup.MEMBER, t.group)):
        line = (
            f"纸质票（{_group_label(tally.group)}）：发出 {tally.issued} 张，"
            f"收回 {tally.returned} 张，无效 {tally.invalid} 张，空白 {tally.blank} 张"
        )
        if tally.void:
            line += "。收回票数多于发出票数，该组纸质票作废，不计入结果"
        else:
            line += f"，有效 {tally.valid} 张"
        lines.append(line + "。")
    return lines


def rule_sentence(rules: dict, purpose: str = PollPurpose.ASSESSMENT) -> str:
    """The grading rule of the poll's frozen snapshot, in one sentence."""
    if purpose == PollPurpose.RECTIFICATION:
        return (
            f"评定规则：以常委会全体组成人员 {rules.get('composition_total')} 人为基数"
            "（只计常委会组成人员的票），不满意票超过全体组成人员半数的，整改评为不满意，"
            "须继续整改；否则评为满意。"
        )
    satisfied = rules.get("satisfied_min_percent")
    over = rules.get("dissatisfied_over_percent")
    if rules.get("denominator") == grading.ALL_MEMBERS:
        base = (
            f"以常委会全体组成人员 {rules.get('composition_total')} 人为基数"
            "（只计常委会组成人员的票）"
        )
    else:
        base = "以有效票为基数（满意、基本满意、不满意、不了解之和，空白票不计）"
    return (
        f"评定规则：{base}，满意率 =（满意 + 基本满意）÷ 基数；不满意票超过基数的 {over}% "
        f"评为不满意，否则满意率达到 {satisfied}% 评为满意，其余评为基本满意。"
    )


def _print_setup(sheet, header_rows: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as needed
    sheet.print_title_rows = header_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


def _header_cell(sheet, row: int, column: int, text: str) -> None:
    cell = _put(sheet, row, column, text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = CENTER
    cell.border = BORDER


def _results_sheet(sheet, res: PollResults, choices: list[str]) -> None:
    poll = res.poll
    labels = [grading.LABELS[c] for c in choices]
    # 序号 评议对象 单位职务 | choices… 合计 | 电子票 纸质票 | 基数 满意率 不满意率 等次 说明
    counts_start = 4
    total_col = counts_start + len(choices)
    electronic_col = total_col + 1
    paper_col = total_col + 2
    base_col = total_col + 3
    rate_col, against_col, grade_col, note_col = range(base_col + 1, base_col + 5)
    width = note_col

    title = poll.title if poll.title.endswith("测评") else f"{poll.title}测评"
    row = 1
    _info_row(sheet, row, f"{title}结果统计表", width, font=TITLE_FONT, height=30)
    sheet.cell(row=row, column=1).alignment = CENTER
    row += 1
    _info_row(sheet, row, _meeting_line(res), width)
    for line in _paper_lines(res):
        row += 1
        _info_row(sheet, row, line, width)
    row += 1
    _info_row(sheet, row, rule_sentence(poll.rules_snapshot, poll.purpose), width, height=32)
    row += 2

    top, sub = row, row + 1
    for column, text in ((1, "序号"), (2, "评议对象"), (3, "单位职务")):
        _header_cell(sheet, top, column, text)
        _header_cell(sheet, sub, column, None)
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    _header_cell(sheet, top, counts_start, "测评票数")
    for offset, text in enumerate([*labels, "合计"]):
        if offset:
            _header_cell(sheet, top, counts_start + offset, None)
        _header_cell(sheet, sub, counts_start + offset, text)
    sheet.merge_cells(start_row=top, start_column=counts_start, end_row=top, end_column=total_col)
    _header_cell(sheet, top, electronic_col, "其中")
    _header_cell(sheet, top, paper_col, None)
    sheet.merge_cells(start_row=top, start_column=electronic_col, end_row=top, end_column=paper_col)
    _header_cell(sheet, sub, electronic_col, "电子票")
    _header_cell(sheet, sub, paper_col, "纸质票")
    # A rectification vote is judged by the composition members' 不满意 marks against all
    # composition members, not by a 满意率 (grading.rectification).
    rectifying = poll.purpose == PollPurpose.RECTIFICATION
    if rectifying:
        tail = ((base_col, "全体组成人员"), (rate_col, "组成人员不满意"))
        tail += ((against_col, "不满意占比"),)
    else:
        tail = ((base_col, "计算基数"), (rate_col, "满意率"), (against_col, "不满意率"))
    tail += ((grade_col, "测评等次"), (note_col, "说明"))
    for column, text in tail:
        _header_cell(sheet, top, column, text)
        _header_cell(sheet, sub, column, None)
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)

    first = sub + 1
    for index, result in enumerate(res.items, start=1):
        row = first + index - 1
        subject = result.item.subject
        grade = result.grade
        rated = grade is not None and grade.denominator > 0
        values = [index, subject.display_name, f"{subject.unit_name}{subject.post}"]
        values += [result.total[c] for c in choices]
        values += [
            sum(result.total.values()),
            sum(result.electronic.values()),
            sum(result.paper.values()),
            grade.denominator if rated else None,
            (result.members_dissatisfied if rectifying else grade.satisfaction_rate)
            if rated
            else None,
            grade.dissatisfied_rate if rated else None,
            grade.label if grade else "无有效票",
            grade.explanation if grade else "",
        ]
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, row, column, value)
            cell.border = BORDER
            cell.alignment = LEFT if column in (2, 3, note_col) else CENTER
            if column == against_col or (column == rate_col and not rectifying):
                cell.number_format = PERCENT_FORMAT
        if grade is not None and grade.grade == grading.DISSATISFIED:
            sheet.cell(row=row, column=grade_col).font = Font(bold=True, color="C00000")

    hidden = any(r.hidden_groups for r in res.items)
    if hidden:
        k = poll.rules_snapshot.get("min_group_size", 3)
        row = first + len(res.items) + 1
        _info_row(sheet, row, f"注：投票人数少于 {k} 人的群体不单独列示。", width)

    columns = ["序号", "评议对象", "单位职务", *(["choice"] * len(choices)), "合计", "电子票"]
    columns += ["纸质票", "计算基数", "满意率", "不满意率", "测评等次", "说明"]
    for index, key in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    sheet.freeze_panes = f"C{first}"
    _print_setup(sheet, f"{top}:{sub}")


def _groups_sheet(sheet, res: PollResults, choices: list[str]) -> None:
    found = {g for r in res.items for g in r.by_group}
    groups = [g for g in VoterGroup.values if g in found] + sorted(found - set(VoterGroup.values))
    headers = ["序号", "评议对象", "投票群体", *(grading.LABELS[c] for c in choices), "合计"]
    width = len(headers)
    _info_row(sheet, 1, f"{res.poll.title}分组统计", width, font=TITLE_FONT, height=30)
    sheet.cell(row=1, column=1).alignment = CENTER
    _info_row(sheet, 2, "各投票群体的电子票与纸质票合并计数（作废的纸质票不计）。", width)
    header_row = 4
    for column, text in enumerate(headers, start=1):
        _header_cell(sheet, header_row, column, text)
    row = header_row
    for index, result in enumerate(res.items, start=1):
        subject = result.item.subject
        for group in groups:
            row += 1
            counts = result.by_group.get(group, {})
            values = [index, subject.display_name, _group_label(group)]
            values += [counts.get(c, 0) for c in choices] + [sum(counts.values())]
            for column, value in enumerate(values, start=1):
                cell = _put(sheet, row, column, value)
                cell.border = BORDER
                cell.alignment = LEFT if column == 2 else CENTER
    keys = ["序号", "评议对象", "投票群体", *(["choice"] * len(choices)), "合计"]
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    sheet.freeze_panes = f"A{header_row + 1}"
    _print_setup(sheet, f"{header_row}:{header_row}")


def poll_results_workbook(res: PollResults) -> bytes:
    """The 测评结果统计表 of a closed or published poll as .xlsx bytes: a sheet of counts,
    rates and grades per subject, and a sheet 分组统计 when voter groups are broken out."""
    choices = _choices(res)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = RESULTS_SHEET
    _results_sheet(sheet, res, choices)
    if any(r.by_group for r in res.items):
        _groups_sheet(workbook.create_sheet(GROUPS_SHEET), res, choices)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def poll_results_filename(res: PollResults) -> str:
    title = res.poll.title if res.poll.title.endswith("测评") else f"{res.poll.title}测评"
    return f"{title}结果统计表.xlsx"
