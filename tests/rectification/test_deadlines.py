"""Deadline arithmetic (calendar months, rest days, 调休) and the office's holiday calendar
page: add, delete, paste a year (all or nothing), who may use it."""

from datetime import date

import pytest
from django.urls import reverse

from rectification import deadlines
from rectification.models import Holiday
from subjects.models import AuditEvent

# --- months ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # century, not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 400-year rule
        (date(2026, 11, 30), 1, date(2026, 12, 30)),  # not the month's end
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # across the year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_add_months(start, months, expected):
    assert deadlines.add_months(start, months) == expected


# --- rest days -------------------------------------------------------------------------------


def test_weekend_moves_to_monday():
    assert date(2026, 2, 28).weekday() == 5  # Saturday
    assert deadlines.period_end(date(2026, 1, 31), 1, {}) == date(2026, 3, 2)


def test_holiday_on_last_day_moves_to_next_workday():
    calendar = {date(2026, 5, 1): False}  # Friday, 劳动节
    assert deadlines.period_end(date(2026, 4, 1), 1, calendar) == date(2026, 5, 4)


def test_tiaoxiu_saturday_counts_as_workday():
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert not deadlines.is_workday(saturday, {})
    assert deadlines.is_workday(saturday, {saturday: True})
    assert deadlines.period_end(date(2026, 9, 10), 1, {saturday: True}) == saturday


def test_long_holiday_chain():
    """国庆 1–8 October 2026 (Thursday to Thursday) with 调休 on Saturday 10 October: a
    period ending on 1 October ends on Friday 9 October."""
    calendar = {date(2026, 10, d): False for d in range(1, 9)}
    calendar[date(2026, 10, 10)] = True
    assert deadlines.period_end(date(2026, 7, 1), 3, calendar) == date(2026, 10, 9)
    # Ending on Friday the 9th's eve of a weekend-worked Saturday: the Saturday is a workday.
    assert deadlines.next_workday(date(2026, 10, 10), calendar) == date(2026, 10, 10)
    # Without 调休, Sunday the 11th rolls to Monday the 12th.
    assert deadlines.next_workday(date(2026, 10, 11), calendar) == date(2026, 10, 12)


def test_spring_festival_chain_across_weekends():
    calendar = {date(2027, 2, d): False for d in range(5, 14)}  # Friday 5 to Saturday 13
    assert deadlines.next_workday(date(2027, 2, 5), calendar) == date(2027, 2, 15)


def test_due_after_reads_the_calendar(db):
    Holiday.objects.create(day=date(2026, 5, 1), name="劳动节")
    Holiday.objects.create(day=date(2026, 5, 4), name="劳动节")
    assert deadlines.due_after(date(2026, 4, 1), 1) == date(2026, 5, 5)


def test_workday_is_itself():
    assert deadlines.next_workday(date(2026, 11, 18), {}) == date(2026, 11, 18)


# --- the holiday page ------------------------------------------------------------------------

HOLIDAYS = reverse("rectification:holidays")
IMPORT = reverse("rectification:holidays_import")


def test_holidays_page_access(client, personas):
    for name, user in personas.items():
        client.force_login(user)
        expected = 200 if name == "office" else 403
        assert client.get(HOLIDAYS).status_code == expected, name
        if expected == 403:
            assert client.post(IMPORT, {"text": "2026-10-01 国庆节"}).status_code == 403
            assert client.post(HOLIDAYS, {"day": "2026-10-01", "name": "x"}).status_code == 403
    assert not Holiday.objects.exists()


def test_holiday_delete_access(client, personas):
    holiday = Holiday.objects.create(day=date(2026, 10, 1), name="国庆节")
    delete = reverse("rectification:holiday_delete", args=[holiday.pk])
    for name, user in personas.items():
        if name == "office":
            continue
        client.force_login(user)
        assert client.post(delete).status_code == 403, name
    assert Holiday.objects.filter(pk=holiday.pk).exists()


def test_add_list_and_delete(client, office_clerk):
    client.force_login(office_clerk)
    response = client.post(HOLIDAYS, {"day": "2026-10-01", "name": "国庆节"})
    assert response.status_code == 302
    response = client.post(HOLIDAYS, {"day": "2026-10-10", "name": "", "is_workday": "on"})
    assert response.status_code == 302
    saturday = Holiday.objects.get(day=date(2026, 10, 10))
    assert saturday.is_workday and saturday.name == "调休上班"
    html = client.get(HOLIDAYS + "?year=2026").content.decode()
    assert "国庆节" in html and "调休上班" in html
    assert AuditEvent.objects.filter(action="holiday.added").count() == 2
    response = client.post(reverse("rectification:holiday_delete", args=[saturday.pk]))
    assert response.status_code == 302
    assert not Holiday.objects.filter(pk=saturday.pk).exists()
    assert AuditEvent.objects.filter(action="holiday.removed").exists()


def test_other_year_is_not_listed(client, office_clerk):
    Holiday.objects.create(day=date(2027, 1, 1), name="元旦节")
    Holiday.objects.create(day=date(2026, 10, 1), name="国庆节")
    client.force_login(office_clerk)
    html = client.get(HOLIDAYS + "?year=2026").content.decode()
    assert "国庆节" in html and "元旦节" not in html


def test_add_refusals_keep_input(client, office_clerk):
    Holiday.objects.create(day=date(2026, 10, 1), name="国庆节")
    client.force_login(office_clerk)
    response = client.post(HOLIDAYS, {"day": "2026-10-01", "name": "重复的国庆"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "已在日历中" in html and "重复的国庆" in html
    # A weekday is not a 调休 day.
    response = client.post(HOLIDAYS, {"day": "2026-10-12", "name": "调休", "is_workday": "on"})
    assert "本是工作日" in response.content.decode()
    response = client.post(HOLIDAYS, {"day": "2026-13-01", "name": "坏日期"})
    assert "请输入有效的日期" in response.content.decode()
    assert Holiday.objects.count() == 1


def test_import_a_year(client, office_clerk):
    Holiday.objects.create(day=date(2026, 10, 1), name="旧名称")
    client.force_login(office_clerk)
    text = "2026-10-01 国庆节\n\n2026-10-02 国庆节\n2026-10-10 调休上班\n"
    response = client.post(IMPORT + "?year=2026", {"text": text})
    assert response.status_code == 302
    days = dict(Holiday.objects.values_list("day", "name"))
    assert days == {
        date(2026, 10, 1): "国庆节",
        date(2026, 10, 2): "国庆节",
        date(2026, 10, 10): "调休上班",
    }
    assert Holiday.objects.get(day=date(2026, 10, 10)).is_workday
    assert AuditEvent.objects.filter(action="holiday.imported").count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-10-01 国庆节\n2026-10-32 国庆节", "第 2 行的日期"),
        ("2026-10-01 国庆节\n\n2026-10-02", "第 3 行缺少名称"),
        ("2026-10-01 国庆节\n2026-10-01 国庆节", "第 2 行的日期与第 1 行重复"),
        ("2026-10-09 调休上班", "第 1 行"),  # a Friday is a workday anyway
    ],
)
def test_import_is_all_or_nothing(client, office_clerk, text, message):
    client.force_login(office_clerk)
    response = client.post(IMPORT, {"text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "2026-10-01" in html or "2026-10-09" in html  # the pasted text is kept
    assert not Holiday.objects.exists()
    assert not AuditEvent.objects.filter(action="holiday.imported").exists()
