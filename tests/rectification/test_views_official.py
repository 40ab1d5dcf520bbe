"""The official's issued opinion: read, download, 签收; another official gets 404 (R10)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rectification import documents
from rectification.models import DocumentKind
from rectification.views_official import add_months
from subjects.models import AuditEvent
from tests.rectification.test_views_office import issued_document, page
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


@pytest.mark.django_db
def test_the_official_reads_downloads_and_acknowledges(
    client, world, office_clerk, chair, official_a
):
    document = issued_document(world, office_clerk, chair)
    client.force_login(official_a)
    subject_page = page(
        client.get(reverse("reviews:official_subject", args=[world.subjects[0].pk]))
    )
    url = reverse("rectification:official_document", args=[document.pk])
    assert url in subject_page and "尚未签收" in subject_page
    assert reverse("rectification:official_document_pdf", args=[document.pk]) in subject_page

    text = page(client.get(url))
    assert document.reference in text and "王堃喆同志" in text
    assert "签收日期即整改时限的起算日" in text
    assert "1 个月内" in text and "3 个月内" in text
    assert "问题-2025-001" not in text  # finding codes are the office's, not the official's

    response = client.get(reverse("rectification:official_document_pdf", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    response = client.post(reverse("rectification:official_acknowledge", args=[document.pk]))
    assert response["Location"] == url
    document.refresh_from_db()
    today = timezone.localdate()
    assert document.received_on == today and document.received_by == official_a
    text = page(client.get(url))
    assert f"已于{today.year}年{today.month}月{today.day}日签收" in text
    plan_due = add_months(today, 1)
    assert f"{plan_due.year}年{plan_due.month}月{plan_due.day}日" in text
    assert "签收</button>" not in text
    # A second 签收 changes nothing and says why.
    response = client.post(
        reverse("rectification:official_acknowledge", args=[document.pk]), follow=True
    )
    assert f"已于{today:%Y年%m月%d日}签收。" in page(response)
    assert AuditEvent.objects.filter(action="document.acknowledged").count() == 1


@pytest.mark.django_db
def test_another_official_gets_404(client, world, office_clerk, chair, official_b):
    document = issued_document(world, office_clerk, chair)
    client.force_login(official_b)
    for name in ("official_document", "official_document_pdf"):
        assert client.get(reverse(f"rectification:{name}", args=[document.pk])).status_code == 404
    url = reverse("rectification:official_acknowledge", args=[document.pk])
    assert client.post(url).status_code == 404
    document.refresh_from_db()
    assert document.received_on is None


@pytest.mark.django_db
def test_drafts_are_invisible_and_other_roles_are_refused(
    client, world, office_clerk, chair, official_a
):
    draft = documents.create_document(
        actor=office_clerk,
        review=world.review,
        kind=DocumentKind.RESULT_NOTICE,
        subject=world.subjects[0],
        title="草稿",
        body=[{"kind": "paragraph", "text": "原文"}],
    )
    client.force_login(official_a)
    assert (
        client.get(reverse("rectification:official_document", args=[draft.pk])).status_code == 404
    )
    issued = issued_document(world, office_clerk, chair)
    url = reverse("rectification:official_document", args=[issued.pk])
    client.logout()
    assert client.get(url)["Location"].startswith(reverse("login"))
    for user in (office_clerk, chair):
        client.force_login(user)
        assert client.get(url).status_code == 403
        ack = reverse("rectification:official_acknowledge", args=[issued.pk])
        assert client.post(ack).status_code == 403
    # Official users do not reach the office's document pages either.
    client.force_login(official_a)
    assert client.get(reverse("rectification:document", args=[issued.pk])).status_code == 403


@pytest.mark.django_db
def test_acknowledging_after_a_recorded_delivery(client, world, office_clerk, chair, official_a):
    document = issued_document(world, office_clerk, chair)
    documents.record_delivery(
        actor=office_clerk, document=document, delivered_on=timezone.localdate()
    )
    client.force_login(official_a)
    url = reverse("rectification:official_document", args=[document.pk])
    text = page(client.get(url))
    assert "评议办已登记于" in text and "签收</button>" in text
    client.post(reverse("rectification:official_acknowledge", args=[document.pk]))
    document.refresh_from_db()
    assert not document.receipt_recorded and document.received_by == official_a


def test_add_months_keeps_the_day_or_ends_the_month():
    from datetime import date

    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
