"""The roster (名册): permission matrix (R10), lists without N+1, forms that keep what was
typed (R23), post history and audit events (R21), export."""

import io
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from subjects.audit import ACTION_LABELS
from subjects.models import AuditEvent, Official, PostHistory, Unit
from subjects.services import save_official
from tests.factories import OfficialFactory, UnitFactory

FOREIGN = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture
def official(db):
    unit = UnitFactory(name="县自然资源局", category="government")
    return OfficialFactory(
        name="赵建华",
        unit=unit,
        post="副局长",
        appointed_on=date(2019, 3, 1),
        in_post_since=date(2019, 3, 1),
        phone="13900000001",
    )


def get_urls(official):
    return [
        reverse("roster_officials"),
        reverse("roster_official_new"),
        reverse("roster_official_detail", args=[official.pk]),
        reverse("roster_official_edit", args=[official.pk]),
        reverse("roster_units"),
        reverse("roster_unit_new"),
        reverse("roster_unit_edit", args=[official.unit_id]),
        reverse("roster_import"),
        reverse("roster_import_template"),
        reverse("roster_export"),
    ]


def post_urls(official):
    return [
        reverse("roster_official_new"),
        reverse("roster_official_edit", args=[official.pk]),
        reverse("roster_unit_new"),
        reverse("roster_unit_edit", args=[official.unit_id]),
        reverse("roster_import"),
    ]


def official_data(unit, **overrides):
    data = {
        "name": "钱明",
        "gender": "M",
        "unit": unit.pk,
        "post": "局长",
        "appointed_on": "2022-01-20",
        "in_post_since": "2022-01-20",
        "term": "第十七届",
        "status": "serving",
        "phone": "13900000002",
    }
    data.update(overrides)
    return data


# --- permissions (R10) -------------------------------------------------------------------------

PERSONAS = ["office", "council", "group_member", "committee_member", "deputy", "official"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_roster_pages_are_for_the_office_only(client, personas, official, persona):
    client.force_login(personas[persona])
    for url in get_urls(official):
        expected = 200 if persona == "office" else 403
        assert client.get(url).status_code == expected, (persona, url)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "office"])
def test_other_roles_cannot_post_to_the_roster(client, personas, official, persona):
    client.force_login(personas[persona])
    for url in post_urls(official):
        assert client.post(url, official_data(official.unit)).status_code == 403, (persona, url)
    official.refresh_from_db()
    assert official.post == "副局长" and Official.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="roster.").exists()


@pytest.mark.django_db
def test_unknown_official_or_unit_is_404(client, office_clerk):
    client.force_login(office_clerk)
    assert client.get(reverse("roster_official_detail", args=[999])).status_code == 404
    assert client.get(reverse("roster_official_edit", args=[999])).status_code == 404
    assert client.get(reverse("roster_unit_edit", args=[999])).status_code == 404


@pytest.mark.django_db
def test_read_only_roster_pages_refuse_post(client, office_clerk, official):
    client.force_login(office_clerk)
    for name in ("roster_officials", "roster_units", "roster_export", "roster_import_template"):
        assert client.post(reverse(name)).status_code == 405, name
    assert client.post(reverse("roster_official_detail", args=[official.pk])).status_code == 405


@pytest.mark.django_db
def test_roster_actions_have_chinese_labels():
    for code in (
        "roster.official_created",
        "roster.official_updated",
        "roster.unit_created",
        "roster.unit_updated",
        "roster.imported",
    ):
        assert re.search(r"[\u4e00-\u9fff]", ACTION_LABELS[code]), code


@pytest.mark.django_db
def test_navigation_offers_the_roster_to_the_office_only(client, office_clerk, deputy):
    client.force_login(office_clerk)
    html = client.get(reverse("roster_units")).content.decode()
    assert f'href="{reverse("roster_officials")}"' in html
    # The section stays highlighted on its sub-pages.
    assert re.search(r'nav-link active"[^>]*\s+href="/roster/officials/"', html.replace("\n", " "))
    client.force_login(deputy)
    html = client.get(reverse("surveys:deputy_home")).content.decode()
    assert reverse("roster_officials") not in html


@pytest.mark.django_db
def test_pages_have_no_inline_style_script_or_foreign_host(client, office_clerk, official):
    client.force_login(office_clerk)
    PostHistory.objects.create(
        official=official, unit_name="县林业局", post="科长", ended_on=date(2019, 3, 1)
    )
    pages = [u for u in get_urls(official) if not u.endswith(".xlsx")]
    pages.append(reverse("notifications"))
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "style=" not in html, url
        assert "<script>" not in html, url
        assert not FOREIGN.search(html), url
        assert "<h1" in html and "breadcrumb" in html, url


# --- the officials list ------------------------------------------------------------------------


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_officials_list_query_count_does_not_grow_with_rows(client, office_clerk):
    client.force_login(office_clerk)
    for i in range(5):
        OfficialFactory(unit=UnitFactory(name=f"县甲{i}局"))
    url = reverse("roster_officials") + "?status=serving&tenure_years=1"
    small = _list_queries(client, url)
    for i in range(55):
        OfficialFactory(unit=UnitFactory(name=f"县乙{i}局"))
    large = _list_queries(client, url)
    assert small == large, (small, large)
    html = client.get(url).content.decode()
    assert html.count('href="/roster/officials/') >= 50  # one page of 50 rows rendered


@pytest.mark.django_db
def test_units_list_query_count_does_not_grow_with_rows(client, office_clerk):
    client.force_login(office_clerk)
    for i in range(5):
        OfficialFactory(unit=UnitFactory(name=f"县甲{i}局"))
    small = _list_queries(client, reverse("roster_units"))
    for i in range(55):
        OfficialFactory(unit=UnitFactory(name=f"县乙{i}局"))
    large = _list_queries(client, reverse("roster_units"))
    assert small == large, (small, large)


@pytest.mark.django_db
def test_officials_list_filters_and_keeps_what_was_typed(client, office_clerk):
    today = timezone.localdate()
    court = UnitFactory(name="县人民法院", category="court")
    bureau = UnitFactory(name="县财政局", category="government")
    OfficialFactory(name="王法官", unit=court, post="副院长", in_post_since=date(2015, 1, 1))
    OfficialFactory(
        name="王局长", unit=bureau, term="第十六届", in_post_since=today - timedelta(days=30)
    )
    OfficialFactory(name="李离任", unit=bureau, status="left")
    client.force_login(office_clerk)

    def names(**params):
        response = client.get(reverse("roster_officials"), params)
        assert response.status_code == 200
        return {o.name for o in response.context["page"].object_list}, response

    assert names()[0] == {"王法官", "王局长", "李离任"}
    assert names(q="王")[0] == {"王法官", "王局长"}
    assert names(unit=bureau.pk)[0] == {"王局长", "李离任"}
    assert names(category="court")[0] == {"王法官"}
    assert names(status="left")[0] == {"李离任"}
    assert names(term="第十六届")[0] == {"王局长"}
    found, response = names(q="王", tenure_years="3")
    assert found == {"王法官"}
    html = response.content.decode()
    assert 'value="王"' in html and 'value="3"' in html  # the GET form keeps the filters
    assert "符合条件的 1 人" in html
    # The export link carries the filters.
    assert "/roster/export.xlsx?q=%E7%8E%8B&amp;tenure_years=3" in html
    # A bad number is shown as an error and ignored, not a 500.
    found, response = names(tenure_years="三")
    assert len(found) == 3 and "请输入整数年数。" in response.content.decode()


@pytest.mark.django_db
def test_empty_roster_says_what_to_do(client, office_clerk):
    client.force_login(office_clerk)
    html = client.get(reverse("roster_officials")).content.decode()
    assert "名册中还没有人员" in html
    for label in ("新增人员", "导入 Excel", "导出 Excel"):
        assert label in html
    html = client.get(reverse("roster_officials"), {"q": "无此人"}).content.decode()
    assert "没有符合条件的人员" in html


# --- create, edit, detail ----------------------------------------------------------------------


@pytest.mark.django_db
def test_create_official_writes_an_audit_event(client, office_clerk, official):
    client.force_login(office_clerk)
    response = client.post(reverse("roster_official_new"), official_data(official.unit))
    created = Official.objects.get(name="钱明")
    assert response.status_code == 302
    assert response["Location"] == reverse("roster_official_detail", args=[created.pk])
    event = AuditEvent.objects.get(action="roster.official_created")
    assert event.actor == office_clerk and event.target_id == str(created.pk)
    assert event.summary == "新增被任命人员：县自然资源局 局长 钱明"
    assert event.data["unit"] == "县自然资源局" and event.data["gender"] == "男"


@pytest.mark.django_db
def test_invalid_form_keeps_typed_values_with_chinese_messages(client, office_clerk, official):
    client.force_login(office_clerk)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("roster_official_new"),
        official_data(official.unit, appointed_on=tomorrow.isoformat(), phone="123", term=""),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"日期不能晚于今天（{timezone.localdate():%Y-%m-%d}）。" in html
    assert "请输入 11 位手机号码。" in html
    assert "这个字段是必填项。" in html
    assert 'value="钱明"' in html and 'value="123"' in html
    assert f'value="{tomorrow.isoformat()}"' in html
    assert Official.objects.count() == 1
    # in_post_since may lie before or after appointed_on.
    response = client.post(
        reverse("roster_official_new"),
        official_data(official.unit, appointed_on="2022-05-01", in_post_since="2020-01-01"),
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_edit_post_change_writes_history_and_audit(client, office_clerk, official):
    client.force_login(office_clerk)
    other = UnitFactory(name="县财政局")
    data = official_data(
        other,
        name="赵建华",
        post="局长",
        appointed_on="2019-03-01",
        in_post_since="2024-02-01",
        phone="13900000001",
    )
    response = client.post(reverse("roster_official_edit", args=[official.pk]), data)
    assert response.status_code == 302
    official.refresh_from_db()
    assert (official.unit, official.post) == (other, "局长")
    (history,) = official.post_history.all()
    assert (history.unit_name, history.post) == ("县自然资源局", "副局长")
    assert (history.started_on, history.ended_on) == (date(2019, 3, 1), date(2024, 2, 1))
    event = AuditEvent.objects.get(action="roster.official_updated")
    assert event.data == {
        "unit": ["县自然资源局", "县财政局"],
        "post": ["副局长", "局长"],
        "in_post_since": ["2019-03-01", "2024-02-01"],
    }
    assert "单位" in event.summary and "职务" in event.summary

    detail = client.get(reverse("roster_official_detail", args=[official.pk])).content.decode()
    assert "县财政局 局长" in detail and "县自然资源局" in detail and "副局长" in detail
    assert "2019-03-01 至 2024-02-01" in detail


@pytest.mark.django_db
def test_post_change_without_new_date_ends_today(office_clerk, official):
    save_official(
        actor=office_clerk,
        official=official,
        data={"post": "局长", "unit": official.unit, "in_post_since": official.in_post_since},
    )
    assert official.post_history.get().ended_on == timezone.localdate()


@pytest.mark.django_db
def test_edit_without_changes_writes_nothing(client, office_clerk, official):
    client.force_login(office_clerk)
    data = official_data(
        official.unit,
        name="赵建华",
        post="副局长",
        appointed_on="2019-03-01",
        in_post_since="2019-03-01",
        phone="13900000001",
    )
    response = client.post(reverse("roster_official_edit", args=[official.pk]), data, follow=True)
    assert "没有修改任何内容。" in response.content.decode()
    assert not AuditEvent.objects.filter(action="roster.official_updated").exists()
    assert not PostHistory.objects.exists()


@pytest.mark.django_db
def test_invalid_edit_keeps_typed_values_and_saves_nothing(client, office_clerk, official):
    client.force_login(office_clerk)
    data = official_data(official.unit, name="新名字", post="局长", in_post_since="2030-01-01")
    response = client.post(reverse("roster_official_edit", args=[official.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="新名字"' in html and 'value="局长"' in html and 'value="2030-01-01"' in html
    assert "修改人员信息：赵建华" in html  # the heading shows the saved name
    official.refresh_from_db()
    assert (official.name, official.post) == ("赵建华", "副局长")
    assert not PostHistory.objects.exists()


@pytest.mark.django_db
def test_inactive_units_are_offered_only_to_their_own_officials(client, office_clerk, official):
    UnitFactory(name="县已撤并局", is_active=False)
    client.force_login(office_clerk)
    assert "县已撤并局" not in client.get(reverse("roster_official_new")).content.decode()
    official.unit.is_active = False
    official.unit.save()
    html = client.get(reverse("roster_official_edit", args=[official.pk])).content.decode()
    assert "县自然资源局" in html and "县已撤并局" not in html


# --- units ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_create_and_edit_are_audited(client, office_clerk):
    client.force_login(office_clerk)
    data = {
        "name": "县审计局",
        "short_name": "审计局",
        "category": "government",
        "liaison_committee": "财政经济工作委员会",
        "is_active": "on",
    }
    assert client.post(reverse("roster_unit_new"), data).status_code == 302
    unit = Unit.objects.get(name="县审计局")
    assert AuditEvent.objects.get(action="roster.unit_created").target_id == str(unit.pk)
    data.update(short_name="审计", is_active="")
    response = client.post(reverse("roster_unit_edit", args=[unit.pk]), data)
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.short_name == "审计" and not unit.is_active
    event = AuditEvent.objects.get(action="roster.unit_updated")
    assert event.data == {"short_name": ["审计局", "审计"], "is_active": [True, False]}
    # A second unit of the same name is refused in Chinese, keeping what was typed.
    response = client.post(reverse("roster_unit_new"), {**data, "short_name": "重复"})
    html = response.content.decode()
    assert "已有同名单位。" in html and 'value="重复"' in html


@pytest.mark.django_db
def test_units_list_counts_serving_officials(client, office_clerk):
    unit = UnitFactory(name="县教育局")
    OfficialFactory.create_batch(3, unit=unit)
    OfficialFactory(unit=unit, status="left")
    UnitFactory(name="县空单位")
    client.force_login(office_clerk)
    response = client.get(reverse("roster_units"))
    counts = {u.name: u.serving_count for u in response.context["page"].object_list}
    assert counts == {"县教育局": 3, "县空单位": 0}
    assert f"?unit={unit.pk}&amp;status=serving" in response.content.decode()


# --- export -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_applies_filters_and_names_the_file_in_chinese(client, office_clerk, official):
    OfficialFactory(name="李离任", status="left", unit=official.unit)
    client.force_login(office_clerk)
    response = client.get(reverse("roster_export"), {"status": "serving"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E5%90%8D%E5%86%8C" in disposition  # 名册
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    name, gender, unit, category, post, appointed, since, term, status, phone = rows[0]
    assert (name, gender, unit, category, post) == (
        "赵建华",
        "男",
        "县自然资源局",
        "政府组成部门",
        "副局长",
    )
    assert appointed.date() == date(2019, 3, 1) and since.date() == date(2019, 3, 1)
    assert (term, status, phone) == ("第十七届", "在任", "13900000001")
    assert AuditEvent.objects.get(action="roster.exported").data["count"] == 1


@pytest.mark.django_db
def test_export_query_count_does_not_grow_with_rows(client, office_clerk):
    client.force_login(office_clerk)
    OfficialFactory.create_batch(5)
    small = _list_queries(client, reverse("roster_export"))
    OfficialFactory.create_batch(60)
    large = _list_queries(client, reverse("roster_export"))
    assert small == large
