"""R9 deny by default, R10 the permission matrix of the pages that exist so far."""

import pytest
from django.urls import reverse

from subjects.access import PUBLIC, policy_of
from subjects.models import AuditEvent
from tests.urlwalk import walk

# Every page an anonymous visitor may open. Anything else must send them to the login page.
PUBLIC_URL_NAMES = {
    "login",
    "healthz",
    "public_index",
    "public_review",
    "vote_with_code",
    "vote_code_done",
    # Questionnaires: invitation codes, the open link, the thank-you page.
    "respond_code",
    "respond_with_code",
    "respond_open",
    "respond_done",
    # Published documents (评议意见, 测评结果通报) of a published review.
    "public_document",
    "public_document_pdf",
}


def test_every_view_declares_an_access_policy():
    undeclared = [
        route.url
        for route in walk()
        if route.namespace != "admin" and policy_of(route.callback) is None
    ]
    assert undeclared == []


def test_public_views_are_exactly_the_allowlist():
    public = {
        route.name
        for route in walk()
        if route.namespace != "admin" and policy_of(route.callback) == PUBLIC
    }
    assert public == PUBLIC_URL_NAMES


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_everywhere_else(client):
    login = reverse("login")
    checked = 0
    for route in walk():
        if route.name in PUBLIC_URL_NAMES:
            continue
        if route.namespace == "admin":
            response = client.get(route.url)
            # The admin has its own login; it must never render a page to an anonymous visitor.
            assert response.status_code in (302, 404), route.url
            if response.status_code == 302:
                location = response["Location"]
                assert location.startswith((login, "/admin/login/")), route.url
            continue
        response = client.get(route.url)
        assert response.status_code == 302, route.url
        assert response["Location"].startswith(login), route.url
        checked += 1
    assert checked >= 8


# role -> the URL name of its home page
HOMES = {
    "office": "reviews:office_home",
    "council": "reviews:council_home",
    "group_member": "reviews:group_home",
    "committee_member": "reviews:member_home",
    "official": "reviews:official_home",
    "deputy": "surveys:deputy_home",
}
OFFICE_ONLY = ["audit_log", "system_status"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", list(HOMES))
def test_home_pages_matrix(client, personas, persona):
    client.force_login(personas[persona])
    for role, url_name in HOMES.items():
        response = client.get(reverse(url_name))
        # The demo chair is also a committee member, so both of those homes open; deputies
        # share the members' 会议与测评 page (they may be admitted to the vote as 列席代表).
        also_member = role == "committee_member" and persona in ("council", "deputy")
        expected = 200 if role == persona or also_member else 403
        assert response.status_code == expected, (persona, url_name)
    for url_name in OFFICE_ONLY:
        expected = 200 if persona == "office" else 403
        assert client.get(reverse(url_name)).status_code == expected, (persona, url_name)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", list(HOMES))
def test_root_lands_each_role_on_its_home(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(HOMES[persona])
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1" in html and "breadcrumb" in html
    # The navigation offers the role's own home page.
    assert reverse(HOMES[persona]) in html


@pytest.mark.django_db
def test_user_without_role_sees_an_explanation(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="norole"))
    response = client.get("/")
    assert response.status_code == 200
    assert "尚未分配角色" in response.content.decode()


@pytest.mark.django_db
def test_denial_is_a_chinese_403_and_is_logged(client, deputy):
    client.force_login(deputy)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    event = AuditEvent.objects.get(action="security.denied")
    assert event.actor == deputy
    assert event.data["path"] == reverse("audit_log")


@pytest.mark.django_db
def test_admin_is_for_superusers_only(client, office_clerk, superuser):
    client.force_login(office_clerk)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/subjects/user/").status_code == 200


@pytest.mark.django_db
def test_read_only_pages_refuse_post(client, office_clerk):
    client.force_login(office_clerk)
    assert client.post(reverse("audit_log")).status_code == 405
    assert client.post(reverse("reviews:office_home")).status_code == 405


@pytest.mark.django_db
def test_role_check_refuses_inactive_users(client, office_clerk):
    office_clerk.is_active = False
    office_clerk.save(update_fields=["is_active"])
    client.force_login(office_clerk)
    response = client.get(reverse("audit_log"))
    # Django logs out inactive users on the next request: back to the login page.
    assert response.status_code == 302
