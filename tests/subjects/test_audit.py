"""R21: the append-only audit trail and the office's page that lists it."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subjects import audit
from subjects.models import AuditEvent


@pytest.mark.django_db
def test_record_keeps_actor_target_and_request_context(client, office_clerk):
    event = audit.record(
        actor=office_clerk,
        action="test.did",
        summary="做了一件事",
        target=office_clerk,
        data={"from": 1, "to": 2},
    )
    assert event.actor_name == "李晓燕"
    assert event.target_type == "subjects.user" and event.target_id == str(office_clerk.pk)
    assert event.data == {"from": 1, "to": 2}


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_by_the_app(office_clerk):
    event = audit.record(actor=office_clerk, action="test.did", summary="原文")
    event.summary = "改过"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="改过")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "原文"


@pytest.mark.django_db
def test_database_refuses_update_and_delete(requires_postgres, office_clerk):
    event = audit.record(actor=office_clerk, action="test.did", summary="原文")
    for sql in (
        "UPDATE subjects_auditevent SET summary = 'x' WHERE id = %s",
        "DELETE FROM subjects_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "原文"


@pytest.mark.django_db
def test_request_id_and_ip_reach_the_event(client, official_a):
    client.post(
        reverse("login"),
        {"username": "official_a", "password": "nope-nope-nope"},
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_REQUEST_ID="abcdef12-3456",
    )
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.ip_address == "192.0.2.7"
    assert event.request_id == "abcdef12-3456"


@pytest.mark.django_db
def test_forwarded_for_is_trusted_only_as_far_as_our_proxies(client, settings, official_a):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "x", "password": "y"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4",
    )
    assert AuditEvent.objects.get(action="auth.login_failed").ip_address == "198.51.100.4"


def _events(n, actor):
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=actor, actor_name=str(actor), action="test.bulk", summary=f"第{i}项")
        for i in range(n)
    )


@pytest.mark.django_db
def test_audit_page_filters(client, office_clerk, chair):
    audit.record(actor=chair, action="test.approve", summary="甲方案通过")
    audit.record(actor=office_clerk, action="test.publish", summary="乙名单公布")
    client.force_login(office_clerk)
    html = client.get(reverse("audit_log"), {"actor": "张德明"}).content.decode()
    assert "甲方案通过" in html and "乙名单公布" not in html
    html = client.get(reverse("audit_log"), {"q": "名单"}).content.decode()
    assert "乙名单公布" in html and "甲方案通过" not in html
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = client.get(reverse("audit_log"), {"start": tomorrow}).content.decode()
    assert "没有符合条件的记录" in html


@pytest.mark.django_db
def test_audit_page_rejects_inverted_dates_and_keeps_input(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get(reverse("audit_log"), {"start": "2026-05-02", "end": "2026-05-01"})
    html = response.content.decode()
    assert "截止日期不能早于起始日期" in html
    assert 'value="2026-05-02"' in html


@pytest.mark.django_db
def test_audit_page_query_count_does_not_grow_with_rows(client, office_clerk):
    client.force_login(office_clerk)
    _events(5, office_clerk)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("audit_log")).status_code == 200
    _events(200, office_clerk)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("audit_log")).status_code == 200
    assert len(small) == len(large)
