"""R13: CSP, CSRF, no foreign hosts; the error pages are friendly and Chinese."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.subjects.test_access import HOMES

FOREIGN = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.mark.django_db
def test_every_page_has_csp_and_references_no_other_host(client, personas, superuser):
    pages = [(None, reverse("login")), (None, "/does-not-exist/")]
    pages += [(personas[role], reverse(name)) for role, name in HOMES.items()]
    pages += [
        (personas["office"], reverse("audit_log")),
        (personas["office"], reverse("system_status")),
        (personas["office"], reverse("password_change")),
        (personas["deputy"], reverse("audit_log")),
    ]
    for user, url in pages:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        response = client.get(url)
        html = response.content.decode()
        directives = {d.strip() for d in response["Content-Security-Policy"].split(";")}
        assert "default-src 'self'" in directives, url
        assert not FOREIGN.search(html), (url, FOREIGN.search(html))
        assert "style=" not in html, url  # inline styles would be blocked by the CSP
        assert "<script>" not in html, url


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused_in_chinese(official_a):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "official_a", "password": "x" * 12})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


@pytest.mark.django_db
def test_404_is_friendly(client, official_a):
    client.force_login(official_a)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()


def test_500_page_renders_without_a_request_context(rf):
    from config.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "系统暂时出错" in response.content.decode()


@pytest.mark.django_db
def test_response_carries_a_request_id(client):
    response = client.get(reverse("login"))
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    # A sane id from nginx is kept; garbage is replaced.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="req-12345678")["X-Request-ID"] == (
        "req-12345678"
    )
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


@pytest.mark.django_db
def test_healthz_is_public(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
