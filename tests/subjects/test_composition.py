"""The standing committee's composition (常委会组成人员): the office keeps it per term;
quorum and thresholds count its active members. Permission matrix (R10), forms that keep
what was typed (R23), audit events (R21), a list without N+1."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from subjects.audit import ACTION_LABELS
from subjects.composition import add_member, composition_terms, term_number, update_member
from subjects.models import AuditEvent, CompositionMember, UserRole
from subjects.roles import Role
from tests.factories import UserFactory

PERSONAS = ["office", "council", "group_member", "committee_member", "deputy", "official"]


@pytest.fixture
def member(db, office_clerk, committee_member):
    return add_member(actor=office_clerk, user=committee_member, term="第十八届", title="委员")


def urls(member):
    return [
        reverse("composition"),
        reverse("composition_add"),
        reverse("composition_edit", args=[member.pk]),
    ]


def add_data(user, **overrides):
    data = {"user": user.pk, "term": "第十八届", "title": "副主任", "order": "3"}
    data.update(overrides)
    return data


def html_of(response) -> str:
    return response.content.decode()


# --- who may (R10) -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_composition_pages_are_for_the_office_only(client, personas, member, persona):
    client.force_login(personas[persona])
    expected = 200 if persona == "office" else 403
    for url in urls(member):
        assert client.get(url).status_code == expected, (persona, url)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "office"])
def test_other_roles_cannot_change_the_composition(client, personas, member, official_a, persona):
    client.force_login(personas[persona])
    events = AuditEvent.objects.filter(action__startswith="composition.").count()
    response = client.post(reverse("composition_add"), add_data(official_a))
    assert response.status_code == 403
    edit = {"title": "主任", "order": "0", "is_active": ""}
    response = client.post(reverse("composition_edit", args=[member.pk]), edit)
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.title == "委员" and member.is_active
    assert CompositionMember.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="composition.").count() == events
    assert not UserRole.objects.filter(user=official_a, role=Role.COMMITTEE_MEMBER).exists()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client, member):
    login = reverse("login")
    for url in urls(member):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    response = client.post(reverse("composition_add"), {})
    assert response.status_code == 302 and response["Location"].startswith(login)


@pytest.mark.django_db
def test_list_refuses_post(client, office_clerk):
    client.force_login(office_clerk)
    assert client.post(reverse("composition")).status_code == 405


# --- the list -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_the_newest_term_with_its_majority(client, office_clerk):
    client.force_login(office_clerk)
    for term in ("第九届", "第十七届", "第十八届"):
        for i in range(3):
            user = UserFactory(full_name=f"{term}人员{i}", organization=f"{term}单位{i}")
            add_member(actor=office_clerk, user=user, term=term, title="委员", order=i)
    gone = CompositionMember.objects.get(term="第十八届", order=2)
    update_member(actor=office_clerk, member=gone, title="委员", order=2, is_active=False)

    html = html_of(client.get(reverse("composition")))
    assert "第十八届人员0" in html and "第十七届人员0" not in html
    assert "第十八届单位1" in html  # the user's unit
    assert "在任" in html and "离任" in html
    assert "2 人" in html and "过半数为 2 人" in html  # two active: 2 // 2 + 1
    assert 'href="/roster/composition/new/?term=' in html
    # Every term with a composition is offered; the shown one is selected.
    assert '<option value="第十八届" selected>' in html and '<option value="第九届">' in html

    html = html_of(client.get(reverse("composition"), {"term": "第九届"}))
    assert "第九届人员2" in html and "第十八届人员0" not in html
    assert "过半数为 2 人" in html  # three active: 3 // 2 + 1

    # An unknown term falls back to the newest one rather than an empty page.
    html = html_of(client.get(reverse("composition"), {"term": "第九十九届"}))
    assert "第十八届人员0" in html


@pytest.mark.django_db
def test_empty_list_explains_what_to_do(client, office_clerk):
    client.force_login(office_clerk)
    html = html_of(client.get(reverse("composition")))
    assert "还没有常委会组成人员" in html


@pytest.mark.django_db
def test_roster_tabs_link_to_the_composition(client, office_clerk):
    client.force_login(office_clerk)
    html = html_of(client.get(reverse("roster_officials")))
    assert f'href="{reverse("composition")}"' in html and "常委会组成人员" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_members(client, office_clerk):
    client.force_login(office_clerk)
    users = [UserFactory(full_name=f"委员{i:02d}") for i in range(30)]
    for i, user in enumerate(users[:3]):
        CompositionMember.objects.create(user=user, term="第十八届", order=i)
    small = _queries(client, reverse("composition"))
    for i, user in enumerate(users[3:], start=3):
        CompositionMember.objects.create(user=user, term="第十八届", order=i)
    large = _queries(client, reverse("composition"))
    assert small == large, (small, large)
    html = html_of(client.get(reverse("composition")))
    assert html.count('href="/roster/composition/') >= 30  # the edit links of every row


# --- adding ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_adds_a_member_who_gets_the_role(client, office_clerk, official_a):
    client.force_login(office_clerk)
    form = html_of(client.get(reverse("composition_add")))
    assert official_a.full_name in form and "县自然资源局" in form

    response = client.post(reverse("composition_add"), add_data(official_a))
    assert response.status_code == 302
    assert response["Location"] == reverse("composition") + "?" + urlencode({"term": "第十八届"})
    member = CompositionMember.objects.get(user=official_a)
    assert (member.term, member.title, member.order, member.is_active) == (
        "第十八届",
        "副主任",
        3,
        True,
    )
    assert UserRole.objects.filter(user=official_a, role=Role.COMMITTEE_MEMBER).exists()
    assert UserRole.objects.filter(user=official_a, role=Role.OFFICIAL).exists()  # kept

    event = AuditEvent.objects.get(action="composition.member_added")
    assert event.actor == office_clerk
    assert event.target_id == str(member.pk)
    assert event.data["role_granted"] is True and event.data["title"] == "副主任"
    assert "赵建华" in event.summary and "角色" in event.summary

    html = html_of(client.get(response["Location"]))
    assert "已将 赵建华 列为第十八届常委会组成人员" in html
    assert "赵建华" in html and "县自然资源局" in html and "过半数为 1 人" in html


@pytest.mark.django_db
def test_adding_someone_who_holds_the_role_keeps_one_grant(office_clerk, committee_member):
    add_member(actor=office_clerk, user=committee_member, term="第十八届", title="委员")
    grants = UserRole.objects.filter(user=committee_member, role=Role.COMMITTEE_MEMBER)
    assert grants.count() == 1
    event = AuditEvent.objects.get(action="composition.member_added")
    assert event.data["role_granted"] is False and "角色" not in event.summary


@pytest.mark.django_db
def test_blank_order_places_the_member_last(client, office_clerk, official_a, official_b):
    client.force_login(office_clerk)
    add_member(actor=office_clerk, user=official_a, term="第十八届", title="主任", order=7)
    client.post(reverse("composition_add"), add_data(official_b, order=""))
    assert CompositionMember.objects.get(user=official_b).order == 8


@pytest.mark.django_db
def test_add_form_offers_the_shown_term(client, office_clerk, member):
    client.force_login(office_clerk)
    html = html_of(client.get(reverse("composition_add"), {"term": "第十八届"}))
    assert re.search(r'name="term"[^>]*value="第十八届"|value="第十八届"[^>]*name="term"', html)


@pytest.mark.django_db
def test_duplicate_is_refused_and_what_was_typed_is_kept(client, office_clerk, member):
    client.force_login(office_clerk)
    events = AuditEvent.objects.count()
    data = add_data(member.user, title="秘书长", order="12")
    response = client.post(reverse("composition_add"), data)
    assert response.status_code == 200
    html = html_of(response)
    assert "该人员已是本届常委会组成人员。" in html
    assert "已填写的内容都保留着" in html
    assert f'<option value="{member.user.pk}" selected>' in html
    assert '<option value="秘书长" selected>' in html
    assert 'value="12"' in html and 'value="第十八届"' in html
    assert CompositionMember.objects.count() == 1
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_same_person_may_sit_in_another_term(office_clerk, member):
    other = add_member(actor=office_clerk, user=member.user, term="第十九届", title="副主任")
    assert other.pk != member.pk
    assert composition_terms() == ["第十九届", "第十八届"]


@pytest.mark.django_db
def test_bad_input_gets_chinese_messages(client, office_clerk, official_a):
    client.force_login(office_clerk)
    data = add_data(official_a, term="  ", title="组长", order="-1")
    html = html_of(client.post(reverse("composition_add"), data))
    assert "请填写届次" in html
    assert "请选择主任、副主任、秘书长或委员。" in html
    assert "排序不能小于 0。" in html
    html = html_of(client.post(reverse("composition_add"), {**add_data(official_a), "user": ""}))
    assert "请选择人员。" in html
    assert not CompositionMember.objects.exists()


@pytest.mark.django_db
def test_inactive_users_are_not_offered(client, office_clerk):
    client.force_login(office_clerk)
    retired = UserFactory(full_name="退休人员", is_active=False)
    assert "退休人员" not in html_of(client.get(reverse("composition_add")))
    html = html_of(client.post(reverse("composition_add"), add_data(retired)))
    assert "所选人员不存在或账号已停用。" in html
    with pytest.raises(ValidationError) as refused:
        add_member(actor=office_clerk, user=retired, term="第十八届", title="委员")
    assert "该账号已停用" in str(refused.value)


# --- editing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_edits_a_member(client, office_clerk, member):
    client.force_login(office_clerk)
    url = reverse("composition_edit", args=[member.pk])
    html = html_of(client.get(url))
    assert "刘海燕" in html and "第十八届" in html and '<option value="委员" selected>' in html

    response = client.post(url, {"title": "副主任", "order": "2"})  # 在任 unticked
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.title, member.order, member.is_active) == ("副主任", 2, False)
    event = AuditEvent.objects.get(action="composition.member_updated")
    assert event.data == {"title": ["委员", "副主任"], "order": [0, 2], "is_active": [True, False]}
    assert "职务、排序、在任状态" in event.summary

    html = html_of(client.get(response["Location"]))
    assert "离任" in html and "已保存 刘海燕 的修改" in html
    assert "过半数为" not in html  # nobody is active any more


@pytest.mark.django_db
def test_saving_without_change_writes_no_event(office_clerk, member):
    update_member(actor=office_clerk, member=member, title="委员", order=0, is_active=True)
    assert not AuditEvent.objects.filter(action="composition.member_updated").exists()


@pytest.mark.django_db
def test_edit_errors_keep_what_was_typed(client, office_clerk, member):
    client.force_login(office_clerk)
    url = reverse("composition_edit", args=[member.pk])
    response = client.post(url, {"title": "秘书长", "order": "abc", "is_active": "on"})
    html = html_of(response)
    assert response.status_code == 200
    assert "排序请填写整数。" in html
    assert '<option value="秘书长" selected>' in html and 'value="abc"' in html
    member.refresh_from_db()
    assert member.title == "委员"


@pytest.mark.django_db
def test_editing_a_missing_member_is_404(client, office_clerk):
    client.force_login(office_clerk)
    assert client.get(reverse("composition_edit", args=[999])).status_code == 404


# --- odds and ends --------------------------------------------------------------------------


def test_term_numbers():
    assert term_number("第十八届") == 18
    assert term_number("第九届") == 9
    assert term_number("第十届") == 10
    assert term_number("第二十一届") == 21
    assert term_number("第一百零二届") == 102
    assert term_number("第18届") == 18
    assert term_number("届") == 0


def test_actions_have_chinese_labels():
    assert ACTION_LABELS["composition.member_added"] == "新增常委会组成人员"
    assert ACTION_LABELS["composition.member_updated"] == "修改常委会组成人员"


@pytest.mark.django_db
def test_pages_carry_no_inline_style_or_script(client, office_clerk, member):
    client.force_login(office_clerk)
    for url in urls(member):
        html = html_of(client.get(url))
        assert " style=" not in html and "<script>" not in html, url
        assert "<h1" in html and "breadcrumb" in html, url
