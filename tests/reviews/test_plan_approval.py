"""实施方案: upload checked by content (R14), private download (R15), the leading group's
approval, and what each role sees."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews import services
from reviews.models import LeadershipPosition
from reviews.workflow import PlanStatus
from subjects.files import in_memory
from subjects.models import AuditEvent, Notification


def _upload(client, review, data: bytes, name: str):
    return client.post(
        reverse("reviews:plan_upload", args=[review.pk]),
        {"document": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


@pytest.mark.django_db
def test_real_pdf_is_accepted_and_downloadable_by_office_and_council(
    client, review, office_clerk, chair, pdf_bytes
):
    client.force_login(office_clerk)
    response = _upload(client, review, pdf_bytes, "2025年述职评议实施方案.pdf")
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:plan", args=[review.pk])
    review.refresh_from_db()
    assert review.plan_document_name == "2025年述职评议实施方案.pdf"
    assert review.plan_status == PlanStatus.DRAFT
    # Stored under a random name, not the user's.
    assert "实施方案" not in review.plan_document.name
    assert review.plan_document.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action="review.plan_uploaded").count() == 1

    for user in (office_clerk, chair):
        client.force_login(user)
        response = client.get(reverse("reviews:plan_download", args=[review.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert "filename*=utf-8''" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_docx_from_python_docx_is_accepted(client, review, office_clerk, tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("实施方案")
    path = tmp_path / "plan.docx"
    document.save(path)
    client.force_login(office_clerk)
    response = client.post(
        reverse("reviews:plan_upload", args=[review.pk]),
        {"document": SimpleUploadedFile("方案.docx", path.read_bytes())},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.plan_document_name == "方案.docx"


@pytest.mark.django_db
def test_html_renamed_pdf_is_refused_and_nothing_changes(client, review, office_clerk):
    client.force_login(office_clerk)
    html = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    response = _upload(client, review, html, "实施方案.pdf")
    assert response.status_code == 200
    page = response.content.decode()
    assert "只能上传 PDF、Word（.docx） 文件" in page
    review.refresh_from_db()
    assert not review.plan_document
    assert review.plan_document_name == ""
    assert review.plan_status == PlanStatus.DRAFT
    assert not AuditEvent.objects.filter(action="review.plan_uploaded").exists()
    # A refused upload is a security event (R22).
    refusal = AuditEvent.objects.get(action="upload.refused")
    assert refusal.actor == office_clerk and refusal.data["name"] == "实施方案.pdf"
    assert client.get(reverse("reviews:plan_download", args=[review.pk])).status_code == 404


@pytest.mark.django_db
def test_missing_file_is_a_form_error(client, review, office_clerk):
    client.force_login(office_clerk)
    response = client.post(reverse("reviews:plan_upload", args=[review.pk]), {})
    assert response.status_code == 200
    assert "请选择要上传的文件。" in response.content.decode()


@pytest.mark.django_db
def test_submit_approve_flow_through_the_pages(
    client, review, office_clerk, chair, committee_member, pdf_bytes
):
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(pdf_bytes, "方案.pdf")
    )
    services.save_leadership(
        actor=office_clerk,
        review=review,
        members=[
            (chair, LeadershipPosition.LEADER, "常务副主任"),
            (committee_member, LeadershipPosition.MEMBER, ""),
        ],
    )
    client.force_login(office_clerk)
    response = client.post(reverse("reviews:plan_submit", args=[review.pk]), follow=True)
    assert "已提交领导小组审批" in response.content.decode()
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.SUBMITTED
    # Only the council members of the leading group are asked to approve.
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["chair"]

    # The office cannot decide; the council member sees it on the home page and decides.
    assert (
        client.post(
            reverse("reviews:plan_decide", args=[review.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    client.force_login(chair)
    home = client.get(reverse("reviews:council_home")).content.decode()
    assert review.title in home and reverse("reviews:plan", args=[review.pk]) in home
    page = client.get(reverse("reviews:plan", args=[review.pk])).content.decode()
    assert "批准" in page and "退回修改" in page
    response = client.post(
        reverse("reviews:plan_decide", args=[review.pk]),
        {"decision": "approve", "comment": "同意。"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.APPROVED
    assert review.plan_decided_by == chair and review.plan_decided_at is not None
    assert AuditEvent.objects.filter(action="review.plan_approved", actor=chair).exists()
    assert Notification.objects.filter(recipient=office_clerk, title__contains="已批准").exists()
    assert review.title not in client.get(reverse("reviews:council_home")).content.decode()


@pytest.mark.django_db
def test_return_needs_a_comment_which_the_office_then_sees(
    client, review, office_clerk, chair, pdf_bytes
):
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(pdf_bytes, "方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    client.force_login(chair)
    url = reverse("reviews:plan_decide", args=[review.pk])
    response = client.post(url, {"decision": "return", "comment": "   "})
    assert response.status_code == 200
    assert "退回时请写明修改意见。" in response.content.decode()
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.SUBMITTED

    comment = "评议对象的确定办法请写明“任现职满三年”。"
    assert client.post(url, {"decision": "return", "comment": comment}).status_code == 302
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.RETURNED and review.plan_comment == comment

    client.force_login(office_clerk)
    for name in ("reviews:detail", "reviews:plan"):
        page = client.get(reverse(name, args=[review.pk])).content.decode()
        assert "已退回修改" in page
        assert comment in page
    # Returned: the office may resubmit.
    services.submit_plan(actor=office_clerk, review=review)


def test_decide_by_a_non_council_user_is_refused(db, review, office_clerk, pdf_bytes):
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(pdf_bytes, "方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    with pytest.raises(PermissionDenied):
        services.decide_plan(actor=office_clerk, review=review, approve=True)
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.SUBMITTED


def test_service_refusals(db, review, office_clerk, chair, pdf_bytes):
    with pytest.raises(ValidationError):
        services.submit_plan(actor=office_clerk, review=review)  # nothing uploaded
    with pytest.raises(ValidationError):
        services.decide_plan(actor=chair, review=review, approve=True)  # not submitted
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(pdf_bytes, "方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    with pytest.raises(ValidationError) as refused:
        services.decide_plan(actor=chair, review=review, approve=False, comment="")
    assert refused.value.messages == ["退回时请写明修改意见。"]
    with pytest.raises(ValidationError) as refused:
        services.upload_plan(
            actor=office_clerk, review=review, uploaded=in_memory(pdf_bytes, "新.pdf")
        )
    assert "审批中" in refused.value.messages[0]


@pytest.mark.django_db
def test_reuploading_an_approved_plan_needs_a_new_approval(
    client, review, office_clerk, chair, pdf_bytes
):
    from .conftest import approve_plan

    approve_plan(review, office_clerk, chair, pdf_bytes)
    client.force_login(office_clerk)
    assert _upload(client, review, pdf_bytes, "修订稿.pdf").status_code == 302
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.DRAFT
    assert review.plan_document_name == "修订稿.pdf"
