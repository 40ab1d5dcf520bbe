"""Excel files of the roster: the import template and the export (same columns, so an
export can be edited and imported again)."""

from datetime import date
from io import BytesIO

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .imports import COLUMNS, EXAMPLE_ROW, MAX_ROWS
from .models import Gender, OfficialStatus, UnitCategory

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook as a private download."""
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


DATE_FORMAT = "yyyy-mm-dd"
WIDTHS = {
    "姓名": 10,
    "性别": 6,
    "单位": 28,
    "单位类别": 14,
    "职务": 18,
    "任命日期": 12,
    "任现职时间": 12,
    "届次": 10,
    "状态": 8,
    "手机号": 14,
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F8E9E9")

EXPLANATIONS = (
    (
        "姓名",
        "必填",
        "被任命人员的姓名，最多 50 个字。同一单位内同名视为同一人：已在名册中的会被更新。",
    ),
    ("性别", "必填", "男 或 女。"),
    ("单位", "必填", "单位全称，与名册中的单位名称一致；名册中没有的单位会自动新增。"),
    (
        "单位类别",
        "新单位必填",
        "可选：{}。单位已在名册中时可留空；填写时须与名册一致。".format(
            "、".join(UnitCategory.labels)
        ),
    ),
    ("职务", "必填", "现任职务，如“局长”“副院长”。职务有变化时，原职务自动记入任职经历。"),
    (
        "任命日期",
        "必填",
        "常委会决定任命的日期，如 2023-05-01、2023/5/1 或 2023年5月1日，不能晚于今天。",
    ),
    ("任现职时间", "必填", "担任现职务的起始日期，格式同上，不能晚于今天。"),
    ("届次", "必填", "如“第十七届”，最多 20 个字。"),
    ("状态", "选填", "在任 或 已离任；留空视为在任。"),
    ("手机号", "选填", "11 位手机号码；没有可留空。"),
)


def _header(sheet) -> None:
    sheet.append(list(COLUMNS))
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[column]
    sheet.freeze_panes = "A2"


def _list_validation(sheet, column: str, options, *, allow_blank: bool) -> None:
    letter = get_column_letter(COLUMNS.index(column) + 1)
    validation = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(options)),
        allow_blank=allow_blank,
        showErrorMessage=True,
        errorTitle="无效的值",
        error="可选：{}".format("、".join(options)),
    )
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)


def import_template() -> bytes:
    """The template: a header row, one example row, drop-downs, and a sheet 说明."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名册"
    _header(sheet)
    example = list(EXAMPLE_ROW)
    for column in ("任命日期", "任现职时间"):
        example[COLUMNS.index(column)] = date.fromisoformat(example[COLUMNS.index(column)])
    sheet.append(example)
    for index in range(1, len(COLUMNS) + 1):
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(italic=True, color="808080")
        if isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
    for column in ("任命日期", "任现职时间"):
        letter = get_column_letter(COLUMNS.index(column) + 1)
        for row in range(3, 203):
            sheet[f"{letter}{row}"].number_format = DATE_FORMAT
    phone = get_column_letter(COLUMNS.index("手机号") + 1)
    for row in range(2, 203):
        sheet[f"{phone}{row}"].number_format = "@"  # text: keep all 11 digits
    _list_validation(sheet, "性别", Gender.labels, allow_blank=False)
    _list_validation(sheet, "单位类别", UnitCategory.labels, allow_blank=True)
    _list_validation(sheet, "状态", OfficialStatus.labels, allow_blank=True)

    notes = workbook.create_sheet("说明")
    notes.append(["名册导入说明"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(
        [
            "第 1 行是表头，请勿修改；从第 2 行起每行填写一人。第 2 行是示例，导入前请删除。"
            "系统先检查整份文件，只要有一行有误就不导入任何数据，并逐行列出问题。"
        ]
    )
    notes.append([])
    notes.append(["列名", "是否必填", "填写说明"])
    for index in range(1, 4):
        notes.cell(row=4, column=index).font = HEADER_FONT
        notes.cell(row=4, column=index).fill = HEADER_FILL
    for row in EXPLANATIONS:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 12
    notes.column_dimensions["C"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap

    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a name is never a formula (spreadsheet injection)
    if number_format:
        cell.number_format = number_format
    return cell


def export_officials(officials) -> tuple[bytes, int]:
    """The officials of a queryset (with select_related unit) as a write-only workbook,
    and how many there are. Memory stays flat: rows are streamed from the database."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名册")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[column]
    header = []
    for column in COLUMNS:
        cell = _cell(sheet, column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    count = 0
    for official in officials.iterator(chunk_size=2000):
        count += 1
        sheet.append(
            [
                _cell(sheet, official.name),
                _cell(sheet, official.get_gender_display()),
                _cell(sheet, official.unit.name),
                _cell(sheet, official.unit.get_category_display()),
                _cell(sheet, official.post),
                _cell(sheet, official.appointed_on, DATE_FORMAT),
                _cell(sheet, official.in_post_since, DATE_FORMAT),
                _cell(sheet, official.term),
                _cell(sheet, official.get_status_display()),
                _cell(sheet, official.phone or None, "@"),
            ]
        )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue(), count
