"""The office's holiday calendar (节假日与调休), which moves deadlines off rest days.

    add_holiday(actor=…, day=…, name=…, is_workday=False)
    remove_holiday(actor=…, holiday=…)
    import_year(actor=…, text="2026-10-01 国庆节\\n2026-10-10 调休上班")

Every change is audited. An import is all or nothing: one bad line and nothing is saved, the
refusal names the line.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from subjects.audit import record, register_actions

from .models import Holiday
from .wording import date_cn

register_actions(
    {
        "holiday.added": "添加节假日",
        "holiday.removed": "删除节假日",
        "holiday.imported": "导入节假日安排",
    }
)

WORKDAY_WORDS = ("调休上班", "上班")
MAX_LINES = 400


@dataclass
class HolidayLine:
    day: date
    name: str
    is_workday: bool


def _check_day(day: date, is_workday: bool) -> None:
    if is_workday and day.weekday() < 5:
        raise ValidationError({"is_workday": f"{date_cn(day)}本是工作日，无需登记为调休上班。"})


@transaction.atomic
def add_holiday(*, actor, day: date, name: str, is_workday: bool = False) -> Holiday:
    name = (name or "").strip() or ("调休上班" if is_workday else "")
    if not name:
        raise ValidationError({"name": "请填写名称，如“国庆节”。"})
    _check_day(day, is_workday)
    if Holiday.objects.filter(day=day).exists():
        raise ValidationError({"day": f"{date_cn(day)}已在日历中，如需修改请先删除。"})
    holiday = Holiday.objects.create(day=day, name=name[:50], is_workday=is_workday)
    record(
        actor=actor,
        action="holiday.added",
        target=holiday,
        summary=f"添加{'调休上班日' if is_workday else '节假日'}：{date_cn(day)} {holiday.name}",
    )
    return holiday


@transaction.atomic
def remove_holiday(*, actor, holiday: Holiday) -> None:
    label = f"{date_cn(holiday.day)} {holiday.name}"
    holiday.delete()
    record(actor=actor, action="holiday.removed", target=None, summary=f"删除节假日：{label}")


def parse_lines(text: str) -> list[HolidayLine]:
    """`2026-10-01 国庆节` per line (a name 调休上班 or 上班 marks a worked weekend day);
    blank lines are skipped. Raises ValidationError naming the first bad line."""
    result, seen = [], {}
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise ValidationError(f"一次最多导入 {MAX_LINES} 行。")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            raise ValidationError(f"第 {number} 行缺少名称：应为“2026-10-01 国庆节”的格式。")
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            raise ValidationError(
                f"第 {number} 行的日期“{parts[0]}”无效：应为“2026-10-01”的格式。"
            ) from None
        name = parts[1].strip()[:50]
        is_workday = name in WORKDAY_WORDS
        if is_workday and day.weekday() < 5:
            raise ValidationError(f"第 {number} 行：{date_cn(day)}本是工作日，无需调休上班。")
        if day in seen:
            raise ValidationError(f"第 {number} 行的日期与第 {seen[day]} 行重复。")
        seen[day] = number
        result.append(HolidayLine(day, name, is_workday))
    if not result:
        raise ValidationError("没有可导入的内容。")
    return result


@transaction.atomic
def import_year(*, actor, text: str) -> int:
    """Import the pasted lines, replacing days already in the calendar. Returns the count."""
    lines = parse_lines(text)
    days = [line.day for line in lines]
    Holiday.objects.filter(day__in=days).delete()
    Holiday.objects.bulk_create(
        Holiday(day=line.day, name=line.name, is_workday=line.is_workday) for line in lines
    )
    years = sorted({day.year for day in days})
    record(
        actor=actor,
        action="holiday.imported",
        target=None,
        summary=f"导入{'、'.join(str(y) for y in years)}年节假日安排 {len(lines)} 天",
        data={"days": [d.isoformat() for d in days]},
    )
    return len(lines)
