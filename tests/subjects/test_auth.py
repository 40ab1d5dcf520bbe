"""Login by username or phone, R11 throttling per username+IP, R12 passwords, R22 logging."""

import logging

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from config.settings import base
from subjects.models import AuditEvent
from tests.factories import PASSWORD, UserFactory


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_login_with_username_then_phone(client, official_a):
    response = login(client, "official_a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    client.post(reverse("logout"))
    response = login(client, official_a.phone, PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("reviews:official_home")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_keeps_the_username_and_explains(client, official_a):
    response = login(client, "official_a", "wrong-password-123")
    html = response.content.decode()
    assert response.status_code == 200
    assert "用户名（或手机号）或密码不正确" in html
    assert 'value="official_a"' in html


@pytest.mark.django_db
def test_login_page_is_chinese_and_links_only_to_itself(client):
    html = client.get(reverse("login")).content.decode()
    assert "用户名或手机号" in html and "述职评议管理系统" in html
    assert "http://" not in html and "https://" not in html


@pytest.mark.django_db
def test_lockout_after_failures_is_per_username_and_ip(client, official_a, official_b):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        login(client, "official_a", "wrong-password-123")
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1
    # Now even the right password is refused from this address, with a Chinese page.
    response = login(client, "official_a", PASSWORD)
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 2
    # A colleague behind the same office NAT still logs in.
    assert login(client, "official_b", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    # The same account from another address is not locked either.
    assert login(client, "official_a", PASSWORD, ip="10.0.0.2").status_code == 302


def test_cool_off_is_explicit():
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_argon2_is_the_first_hasher_in_every_real_environment():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "密码长度太短"),
        ("password1234", "这个密码太常见了"),
        ("384729104857", "密码只包含数字"),
    ],
)
@pytest.mark.django_db
def test_password_rules_answer_in_chinese(password, message):
    user = UserFactory.build(username="zhangsan", full_name="张三")
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password, user)
    assert any(message in m for m in excinfo.value.messages), excinfo.value.messages


@pytest.mark.django_db
def test_password_change_applies_the_rules_and_is_audited(client, official_a):
    client.force_login(official_a)
    url = reverse("password_change")
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200 and "密码长度太短" in response.content.decode()
    new = "a-much-longer-passphrase-2026"
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=official_a).exists()


@pytest.mark.django_db
def test_security_events_are_logged_without_secrets(client, official_a, caplog):
    caplog.set_level(logging.DEBUG)
    login(client, "official_a", "Secret-Wrong-Pass-9")
    login(client, "official_a", PASSWORD)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "auth.login_failed" in actions and "auth.login" in actions
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.ip_address == "10.0.0.1" and failed.request_id
    text = caplog.text + repr(list(AuditEvent.objects.values()))
    assert "Secret-Wrong-Pass-9" not in text and PASSWORD not in text
    assert "auth.login_failed" in caplog.text


@pytest.mark.django_db
def test_logout_needs_post(client, official_a):
    client.force_login(official_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
