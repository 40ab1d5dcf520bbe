"""Importing the roster (名册) from an Excel workbook (R23).

Three steps, so that a bad file changes nothing:

1. `read_workbook` checks the upload by content (a real .xlsx that openpyxl opens, no
   macros, no zip bomb) and returns the header and the raw rows;
2. `validate_rows` (pure: no database) turns raw cells into `ImportRow`s and collects an
   `ImportError_` for every bad cell of every row — the whole file, not the first mistake;
3. `import_roster` matches the rows against the database with a constant number of queries
   and, only when nothing is wrong, writes everything in one transaction with bulk
   operations, and records one audit event.
"""

import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .audit import record
from .models import Gender, Official, OfficialStatus, PostHistory, Unit, UnitCategory

# The columns of the template, of the export and of an import, in this order.
COLUMNS = (
    "姓名",
    "性别",
    "单位",
    "单位类别",
    "职务",
    "任命日期",
    "任现职时间",
    "届次",
    "状态",
    "手机号",
)
REQUIRED_COLUMNS = ("姓名", "性别", "单位", "职务", "任命日期", "任现职时间", "届次")
FIELD_OF_COLUMN = {
    "姓名": "name",
    "性别": "gender",
    "单位": "unit_name",
    "单位类别": "category",
    "职务": "post",
    "任命日期": "appointed_on",
    "任现职时间": "in_post_since",
    "届次": "term",
    "状态": "status",
    "手机号": "phone",
}
MAX_LENGTH = {"姓名": 50, "单位": 100, "职务": 100, "届次": 20}
# The example row of the template: refused if someone leaves it in the file.
EXAMPLE_ROW = (
    "张三",
    "男",
    "示例县自然资源局",
    "政府组成部门",
    "局长",
    "2023-01-18",
    "2023-01-18",
    "第十七届",
    "在任",
    "13800000000",
)

MAX_ROWS = 5000
# Zip-bomb guards: a roster of MAX_ROWS rows is a few hundred KiB once unpacked.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000

GENDER_BY_LABEL = {label: value for value, label in Gender.choices}
STATUS_BY_LABEL = {label: value for value, label in OfficialStatus.choices}
CATEGORY_BY_LABEL = {label: value for value, label in UnitCategory.choices}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_PHONE = re.compile(r"^1\d{10}$")


class ImportFileError(Exception):
    """The upload is not a workbook we can read; the message is for the user (Chinese)."""


@dataclass(frozen=True, order=True)
class ImportError_:  # noqa: N801  (ImportError is a builtin)
    line: int
    column_index: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"第 {self.line} 行「{self.column}」：{self.message}"
        return f"第 {self.line} 行：{self.message}"


@dataclass
class ImportRow:
    line: int
    name: str
    gender: str
    unit_name: str
    category: str  # a UnitCategory value, or "" when the cell was blank
    post: str
    appointed_on: date
    in_post_since: date
    term: str
    status: str
    phone: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    errors: list[ImportError_] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = (
            f"导入完成：新增 {self.created} 人，更新 {self.updated} 人，"
            f"新增单位 {self.units_created} 个"
        )
        if self.unchanged:
            text += f"（另有 {self.unchanged} 人信息无变化）"
        return text


class ImportRejected(Exception):
    """The file has bad rows: nothing was imported. `errors` names every one of them."""

    def __init__(self, errors: list[ImportError_]):
        super().__init__(f"{len(errors)} errors")
        self.errors = sorted(errors)


# --- 1. Reading the file ---------------------------------------------------------------------


def check_xlsx(upload) -> None:
    """Refuse anything but a plain .xlsx by its content, not its name (R14)."""
    limit = settings.PINGYI_MAX_UPLOAD_MB
    if upload.size > limit * 1024 * 1024:
        raise ImportFileError(f"文件超过 {limit} MB，请拆分后分批导入。")
    upload.seek(0)
    not_xlsx = "该文件不是 Excel 工作簿（.xlsx）。请在 Excel 或 WPS 中“另存为”.xlsx 格式后再导入。"
    if not zipfile.is_zipfile(upload):
        raise ImportFileError(not_xlsx)
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(not_xlsx) from exc
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportFileError(not_xlsx)
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ImportFileError("文件含有宏，不能导入。请另存为不含宏的 .xlsx 文件后再导入。")
    too_big = sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES
    if len(entries) > MAX_ZIP_ENTRIES or too_big:
        raise ImportFileError("文件内容过大，无法导入。请只保留名册一张工作表后再试。")
    upload.seek(0)


def read_workbook(upload) -> tuple[list, list[tuple[int, tuple]]]:
    """The header cells and the (Excel line number, cells) of each non-blank row."""
    from openpyxl import load_workbook

    check_xlsx(upload)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds; all mean "cannot read it"
        raise ImportFileError(
            "无法读取该 Excel 文件，文件可能已损坏。请用 Excel 或 WPS 打开后重新保存为 .xlsx。"
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("文件中没有工作表。")
        sheet = workbook.worksheets[0]
        header: list = []
        rows: list[tuple[int, tuple]] = []
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if line == 1:
                header = list(cells)
                continue
            if all(_blank(cell) for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行，请拆分后分批导入。")
            rows.append((line, tuple(cells)))
    finally:
        workbook.close()
    if not rows:
        raise ImportFileError("文件中没有可导入的数据：第 1 行为表头，从第 2 行起每行填写一人。")
    return header, rows


# --- 2. Validating the rows (pure) -----------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value) -> date | None:
    """A real Excel date, or text as YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日.

    Returns None when the value cannot be read as a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def map_header(header: Iterable) -> tuple[dict[str, int], list[ImportError_]]:
    """Column name -> index in the row. Columns may come in any order; extra ones are ignored."""
    positions: dict[str, int] = {}
    errors: list[ImportError_] = []
    for index, cell in enumerate(header):
        name = _text(cell).replace(" ", "").replace("*", "")
        if name in FIELD_OF_COLUMN and name not in positions:
            positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        errors.append(
            ImportError_(
                1,
                0,
                "",
                "表头缺少列：{}。请使用导入模板，第 1 行为表头。".format("、".join(missing)),
            )
        )
    return positions, errors


def validate_rows(
    header: Iterable,
    raw_rows: Iterable[tuple[int, tuple]],
    *,
    known_units: Mapping[str, str],
    today: date,
) -> tuple[list[ImportRow], list[ImportError_]]:
    """Check every cell of every row; no database access.

    `known_units` maps the name of each unit that exists to its category; `today` bounds
    the dates. Returns the good rows and every error found (all rows, all columns).
    """
    positions, errors = map_header(header)
    if errors:
        return [], errors
    raw_rows = list(raw_rows)
    order = {name: index for index, name in enumerate(COLUMNS)}
    allowed = "、".join(UnitCategory.labels)
    rows: list[ImportRow] = []
    first_line_of: dict[tuple[str, str], int] = {}

    def value_of(cells, column):
        index = positions.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    # A unit not yet known takes the category of the first row that names one for it.
    new_unit_category: dict[str, tuple[str, int]] = {}
    for line, cells in raw_rows:
        unit_name = _text(value_of(cells, "单位"))
        category = CATEGORY_BY_LABEL.get(_text(value_of(cells, "单位类别")), "")
        if unit_name and category and unit_name not in known_units:
            new_unit_category.setdefault(unit_name, (category, line))

    for line, cells in raw_rows:

        def cell(column, cells=cells):
            return value_of(cells, column)

        row_errors: list[ImportError_] = []

        def error(column, message, line=line, row_errors=row_errors):
            row_errors.append(ImportError_(line, order.get(column, 0), column, message))

        if tuple(_text(cell(column)) for column in COLUMNS) == EXAMPLE_ROW:
            errors.append(ImportError_(line, 0, "", "这是模板中的示例行，请删除后再导入。"))
            continue

        values: dict[str, object] = {}
        for column in ("姓名", "单位", "职务", "届次"):
            text = _text(cell(column))
            if not text:
                error(column, "不能为空。")
            elif len(text) > MAX_LENGTH[column]:
                error(column, f"不能超过 {MAX_LENGTH[column]} 个字（现有 {len(text)} 个）。")
            values[column] = text

        gender = _text(cell("性别"))
        if gender not in GENDER_BY_LABEL:
            error(
                "性别",
                f"应填写“男”或“女”，而不是“{gender}”。"
                if gender
                else "不能为空，应填写“男”或“女”。",
            )

        status = _text(cell("状态")) or OfficialStatus.SERVING.label
        if status not in STATUS_BY_LABEL:
            error("状态", f"应填写“在任”或“已离任”（留空视为在任），而不是“{status}”。")

        category_label = _text(cell("单位类别"))
        category = CATEGORY_BY_LABEL.get(category_label, "")
        unit_name = values["单位"]
        if category_label and not category:
            error("单位类别", f"无法识别的单位类别“{category_label}”，可选：{allowed}。")
        elif unit_name in known_units:
            existing = known_units[unit_name]
            if category and category != existing:
                error(
                    "单位类别",
                    f"单位“{unit_name}”已登记为“{UnitCategory(existing).label}”，"
                    f"与填写的“{category_label}”不一致；如需调整，请在单位管理中修改。",
                )
        elif unit_name:
            first = new_unit_category.get(unit_name)
            if first is None and not category:
                error("单位类别", f"单位“{unit_name}”尚未登记，请填写单位类别（{allowed}）。")
            elif first is not None and category and category != first[0]:
                error(
                    "单位类别",
                    f"与第 {first[1]} 行为单位“{unit_name}”填写的类别"
                    f"“{UnitCategory(first[0]).label}”不一致。",
                )
            elif first is not None:
                category = first[0]

        dates: dict[str, date | None] = {}
        for column in ("任命日期", "任现职时间"):
            value = cell(column)
            parsed = parse_date(value)
            if _blank(value):
                error(column, "不能为空。")
            elif parsed is None:
                error(column, f"无法识别的日期“{_text(value)}”，请使用 2023-05-01 格式。")
            elif parsed > today:
                error(column, f"日期“{parsed:%Y-%m-%d}”晚于今天，请核对。")
            dates[column] = parsed

        phone = _text(cell("手机号")).replace(" ", "").replace("-", "")
        if phone and not _PHONE.match(phone):
            error("手机号", f"“{_text(cell('手机号'))}”不是 11 位手机号码；没有可留空。")

        name = values["姓名"]
        if name and unit_name:
            key = (name, unit_name)
            if key in first_line_of:
                error(
                    "姓名",
                    f"与第 {first_line_of[key]} 行重复（同一单位“{unit_name}”下姓名"
                    f"“{name}”出现两次），请合并为一行。",
                )
            else:
                first_line_of[key] = line

        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            ImportRow(
                line=line,
                name=name,
                gender=GENDER_BY_LABEL[gender],
                unit_name=unit_name,
                category=category,
                post=values["职务"],
                appointed_on=dates["任命日期"],
                in_post_since=dates["任现职时间"],
                term=values["届次"],
                status=STATUS_BY_LABEL[status],
                phone=phone,
            )
        )
    return rows, sorted(errors)


# --- 3. Writing (one transaction, bulk) ------------------------------------------------------

UPDATABLE_FIELDS = ("gender", "post", "appointed_on", "in_post_since", "term", "status", "phone")


def import_roster(*, actor, upload, filename: str = "") -> ImportResult:
    """Validate the whole file, then import it in one go, or raise ImportRejected.

    An existing official with the same name in the same unit is updated (a changed post
    appends a PostHistory row); everyone else is created, and so is any unit not yet known.
    The number of queries does not depend on the number of rows.
    """
    header, raw_rows = read_workbook(upload)
    today = timezone.localdate()
    with transaction.atomic():
        units = {unit.name: unit for unit in Unit.objects.select_for_update()}
        rows, errors = validate_rows(
            header,
            raw_rows,
            known_units={name: unit.category for name, unit in units.items()},
            today=today,
        )
        # Existing officials of the units named in the file, matched by (unit, name).
        named_units = [units[row.unit_name].pk for row in rows if row.unit_name in units]
        existing: dict[tuple[int, str], list[Official]] = defaultdict(list)
        for official in (
            Official.objects.select_for_update()
            .filter(unit_id__in=set(named_units), name__in={row.name for row in rows})
            .order_by("pk")
        ):
            existing[(official.unit_id, official.name)].append(official)
        for row in rows:
            unit = units.get(row.unit_name)
            matches = existing.get((unit.pk, row.name), []) if unit else []
            if len(matches) > 1:
                errors.append(
                    ImportError_(
                        row.line,
                        0,
                        "姓名",
                        f"名册中“{row.unit_name}”已有 {len(matches)} 位名叫“{row.name}”的人员，"
                        "无法确定更新哪一位，请在名册中逐个修改。",
                    )
                )
        if errors:
            raise ImportRejected(errors)

        result = ImportResult()
        new_units = []
        for row in rows:
            if row.unit_name not in units:
                unit = Unit(name=row.unit_name, category=row.category)
                units[row.unit_name] = unit
                new_units.append(unit)
        Unit.objects.bulk_create(new_units)
        result.units_created = len(new_units)

        now = timezone.now()
        to_create: list[Official] = []
        to_update: list[Official] = []
        history: list[PostHistory] = []
        for row in rows:
            unit = units[row.unit_name]
            matches = existing.get((unit.pk, row.name))
            if not matches:
                to_create.append(
                    Official(
                        name=row.name,
                        unit=unit,
                        **{name: getattr(row, name) for name in UPDATABLE_FIELDS},
                    )
                )
                continue
            official = matches[0]
            changed = [
                name for name in UPDATABLE_FIELDS if getattr(official, name) != getattr(row, name)
            ]
            if not changed:
                result.unchanged += 1
                continue
            if "post" in changed:
                history.append(
                    PostHistory(
                        official=official,
                        unit_name=unit.name,
                        post=official.post,
                        appointed_on=official.appointed_on,
                        started_on=official.in_post_since,
                        ended_on=row.in_post_since if "in_post_since" in changed else today,
                    )
                )
            for name in UPDATABLE_FIELDS:
                setattr(official, name, getattr(row, name))
            official.updated_at = now
            to_update.append(official)

        Official.objects.bulk_create(to_create)
        Official.objects.bulk_update(to_update, [*UPDATABLE_FIELDS, "updated_at"])
        PostHistory.objects.bulk_create(history)
        result.created = len(to_create)
        result.updated = len(to_update)
        source = f"“{filename}”" if filename else ""
        record(
            actor=actor,
            action="roster.imported",
            summary=(
                f"从 Excel 导入名册{source}：新增 {result.created} 人，"
                f"更新 {result.updated} 人，新增单位 {result.units_created} 个"
            ),
            data={
                "filename": filename,
                "rows": len(rows),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "units_created": result.units_created,
                "post_changes": len(history),
            },
        )
    return result
