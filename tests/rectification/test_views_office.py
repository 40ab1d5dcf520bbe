"""The office's pages of 评议意见 and documents: who may open them, what each step does, and
that nothing typed is lost on a refusal or an edit conflict (R10, R23)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rectification import documents, opinions
from rectification.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    IssuingOrgan,
    Obligation,
    ObligationKind,
    Opinion,
    OpinionStatus,
    RenderStatus,
)
from subjects.models import AuditEvent, Job
from tests.factories import SubjectFactory
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


# --- helpers shared by the other view tests ----------------------------------------------------


def approved_opinion(world, office, council, subject=None):
    opinion = opinions.open_opinion(actor=office, subject=subject or world.subjects[0])
    opinions.submit(actor=office, opinion=opinion)
    return opinions.approve(
        actor=council, opinion=opinion, session="第三十二次主任会议", on=timezone.localdate()
    )


def fake_pdf(document, data=b"%PDF-1.7\n% rendered\n"):
    """Store a PDF without running WeasyPrint (the renderer has its own tests)."""
    document.pdf.save(f"{document.pk}.pdf", ContentFile(data), save=False)
    Document.objects.filter(pk=document.pk).update(
        pdf=document.pdf.name, render_status=RenderStatus.DONE, pdf_size=len(data)
    )
    document.refresh_from_db()
    return document


def issued_document(world, office, council, subject=None):
    opinion = approved_opinion(world, office, council, subject)
    return fake_pdf(opinions.issue_opinion(actor=office, opinion=opinion))


def editor_data(opinion, **overrides) -> dict:
    """The editor's POST data for the opinion as saved, with `overrides`."""
    clauses = list(opinion.clauses.prefetch_related("findings"))
    data = {
        "version": str(opinion.version),
        "title": opinion.title,
        "opening": opinion.opening,
        "overall": opinion.overall,
        "requirements": opinion.requirements,
        "clauses-TOTAL_FORMS": str(len(clauses) + 1),
        "clauses-INITIAL_FORMS": str(len(clauses)),
        "clauses-MIN_NUM_FORMS": "0",
        "clauses-MAX_NUM_FORMS": "1000",
    }
    for i, clause in enumerate(clauses):
        data[f"clauses-{i}-text"] = clause.text
        data[f"clauses-{i}-ORDER"] = str(i + 1)
        data[f"clauses-{i}-findings"] = [str(f.pk) for f in clause.findings.all()]
    data.update(overrides)
    return data


def page(response) -> str:
    return response.content.decode()


# --- the documents page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_page_is_for_the_office_only(client, world, office_clerk, chair, official_a):
    url = reverse("rectification:review_documents", args=[world.review.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user in (chair, official_a):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(office_clerk)
    response = client.get(url)
    assert response.status_code == 200
    text = page(response)
    assert "王堃喆" in text and text.count("未起草") >= 3
    assert "一键生成全部草稿（3）" in text


@pytest.mark.django_db
def test_documents_page_shows_status_number_receipt_and_the_party_report(
    client, world, office_clerk, chair
):
    document = issued_document(world, office_clerk, chair)
    documents.record_delivery(
        actor=office_clerk, document=document, delivered_on=timezone.localdate()
    )
    opinions.open_opinion(actor=office_clerk, subject=world.subjects[1])
    Obligation.objects.create(
        review=world.review,
        kind=ObligationKind.PARTY_REPORT,
        due_on=timezone.localdate() - timedelta(days=2),
    )
    client.force_login(office_clerk)
    text = page(client.get(reverse("rectification:review_documents", args=[world.review.pk])))
    assert document.reference in text and "已印发" in text and "草稿" in text
    assert "办公室登记送达" in text and "PDF 已生成" in text
    assert "向党委报告评议情况" in text and "已逾期" in text
    assert "新建测评结果通报" in text and "新建评议工作情况报告" in text


@pytest.mark.django_db
def test_documents_page_queries_do_not_grow_with_subjects(
    client, world, office_clerk, chair, django_assert_max_num_queries
):
    url = reverse("rectification:review_documents", args=[world.review.pk])
    issued_document(world, office_clerk, chair)
    opinions.open_all(actor=office_clerk, review=world.review)
    client.force_login(office_clerk)
    client.get(url)  # warm the session and the default organ
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    for order in range(4, 13):
        SubjectFactory(review=world.review, form="written", order=order)
    opinions.open_all(actor=office_clerk, review=world.review)
    for subject in world.review.subjects.order_by("-id")[:2]:
        issued_document(world, office_clerk, chair, subject=subject)
    assert world.review.subjects.count() == 12
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(url)
    assert page(response).count("PDF 已生成") == 3


@pytest.mark.django_db
def test_open_all_then_open_one(client, world, office_clerk):
    client.force_login(office_clerk)
    response = client.post(reverse("rectification:open_all", args=[world.review.pk]))
    assert response.status_code == 302
    assert Opinion.objects.filter(review=world.review).count() == 3
    messages = page(client.get(response["Location"]))
    assert "已为 3 个评议对象生成评议意见草稿" in messages
    # Opening a subject that already has one goes to its editor, nothing new is made.
    response = client.post(reverse("rectification:opinion_open", args=[world.subjects[0].pk]))
    opinion = Opinion.objects.get(subject=world.subjects[0])
    assert response["Location"] == reverse("rectification:opinion_edit", args=[opinion.pk])
    assert Opinion.objects.count() == 3


@pytest.mark.django_db
def test_open_is_refused_before_the_meeting_phase(client, world, office_clerk):
    world.review.phase = "investigate"
    world.review.save(update_fields=["phase"])
    client.force_login(office_clerk)
    response = client.post(
        reverse("rectification:opinion_open", args=[world.subjects[0].pk]), follow=True
    )
    assert "不能起草或印发公文" in page(response)
    assert not Opinion.objects.exists()


@pytest.mark.django_db
def test_council_and_official_cannot_post_office_steps(
    client, world, office_clerk, chair, official_a
):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    posts = [
        reverse("rectification:open_all", args=[world.review.pk]),
        reverse("rectification:issue_all", args=[world.review.pk]),
        reverse("rectification:opinion_open", args=[world.subjects[1].pk]),
        reverse("rectification:opinion_edit", args=[opinion.pk]),
        reverse("rectification:opinion_submit", args=[opinion.pk]),
        reverse("rectification:opinion_issue", args=[opinion.pk]),
        reverse("rectification:opinion_preview", args=[opinion.pk]),
    ]
    for user in (chair, official_a):
        client.force_login(user)
        for url in posts:
            assert client.post(url).status_code == 403, url
    assert Opinion.objects.count() == 1
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.DRAFT


# --- reading and editing an opinion ----------------------------------------------------------


@pytest.mark.django_db
def test_opinion_page_shows_sections_clauses_with_finding_codes_and_versions(
    client, world, office_clerk
):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    text = page(client.get(reverse("rectification:opinion", args=[opinion.pk])))
    assert "一、总体评价" in text and "二、存在的问题" in text and "三、整改要求" in text
    assert "（一）" in text and "（二）" in text
    assert world.findings[0].code in text and world.findings[2].code in text
    assert f"#finding-{world.findings[0].number}" in text
    assert "第 1 稿" in text and "起草评议意见" in text
    assert "提请主任会议审议" in text and "预览（草稿水印 PDF）" in text
    assert "印发</button>" not in text  # not approved yet


@pytest.mark.django_db
def test_editor_saves_clauses_findings_and_order(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    url = reverse("rectification:opinion_edit", args=[opinion.pk])
    form = page(client.get(url))
    assert 'name="version"' in form and world.findings[1].code in form
    assert "添加一条" in form and "不公开" in form
    data = editor_data(
        opinion,
        title="关于对县公安局局长王堃喆同志\r\n履职情况的评议意见",
        overall="总体评价良好。",
        overall_internal="on",
        **{
            # The second clause moves first; a third, typed into the empty form, cites one.
            "clauses-0-ORDER": "2",
            "clauses-1-ORDER": "1",
            "clauses-1-internal": "on",
            "clauses-2-text": "新发现的问题。具体表现为……",
            "clauses-2-ORDER": "3",
            "clauses-2-findings": [str(world.findings[2].pk)],
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:opinion", args=[opinion.pk])
    opinion.refresh_from_db()
    assert opinion.version == 2 and opinion.overall_internal
    assert opinion.title == "关于对县公安局局长王堃喆同志\n履职情况的评议意见"
    clauses = list(opinion.clauses.order_by("order"))
    assert [c.text.split("。")[0] for c in clauses] == [
        "办理代表建议方面存在不足",
        "依法行政方面存在不足",
        "新发现的问题",
    ]
    assert clauses[0].internal and not clauses[1].internal
    assert [f.pk for f in clauses[2].findings.all()] == [world.findings[2].pk]
    assert AuditEvent.objects.filter(action="opinion.saved").count() == 1


@pytest.mark.django_db
def test_editor_deletes_a_clause(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    data = editor_data(opinion, **{"clauses-0-DELETE": "on"})
    client.post(reverse("rectification:opinion_edit", args=[opinion.pk]), data)
    assert [c.text[:4] for c in opinion.clauses.all()] == ["办理代表"]


@pytest.mark.django_db
def test_add_clause_without_js_keeps_the_typing_and_saves_nothing(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    data = editor_data(opinion, overall="正在写的评价", add_clause="1")
    response = client.post(reverse("rectification:opinion_edit", args=[opinion.pk]), data)
    assert response.status_code == 200
    text = page(response)
    assert "正在写的评价" in text
    assert 'name="clauses-3-text"' in text and 'value="4" id="id_clauses-TOTAL_FORMS"' in text
    opinion.refresh_from_db()
    assert opinion.version == 1 and "正在写的评价" not in opinion.overall


@pytest.mark.django_db
def test_editor_refusal_keeps_what_was_typed(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    data = editor_data(opinion, title="  ", overall="辛苦写下的评价文字")
    response = client.post(reverse("rectification:opinion_edit", args=[opinion.pk]), data)
    assert response.status_code == 200
    text = page(response)
    assert "请填写标题。" in text and "辛苦写下的评价文字" in text
    opinion.refresh_from_db()
    assert opinion.version == 1


@pytest.mark.django_db
def test_edit_conflict_keeps_the_typed_text_and_shows_the_latest(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    url = reverse("rectification:opinion_edit", args=[opinion.pk])
    mine = editor_data(opinion, overall="我刚刚写的评价", **{"clauses-2-text": "我加的一条。"})
    # Somebody else saves first (version 1 → 2).
    theirs = editor_data(opinion, overall="同事先保存的评价")
    assert client.post(url, theirs).status_code == 302
    response = client.post(url, mine)
    assert response.status_code == 200
    text = page(response)
    assert "您的修改没有保存" in text
    assert "我刚刚写的评价" in text and "我加的一条。" in text  # what I typed, kept
    assert "同事先保存的评价" in text and "最新保存的内容（第 2 稿）" in text
    assert 'name="version" value="2"' in text
    opinion.refresh_from_db()
    assert opinion.overall == "同事先保存的评价" and opinion.version == 2
    # Saving again after merging is accepted on top of version 2.
    response = client.post(url, {**mine, "version": "2"})
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.overall == "我刚刚写的评价" and opinion.version == 3


@pytest.mark.django_db
def test_a_submitted_opinion_is_not_editable(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    opinions.submit(actor=office_clerk, opinion=opinion)
    client.force_login(office_clerk)
    response = client.get(reverse("rectification:opinion_edit", args=[opinion.pk]), follow=True)
    assert "不能再修改" in page(response)


@pytest.mark.django_db
def test_submit_refusal_and_success(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    Opinion.objects.filter(pk=opinion.pk).update(overall="")
    client.force_login(office_clerk)
    url = reverse("rectification:opinion_submit", args=[opinion.pk])
    assert "请先填写“总体评价”" in page(client.post(url, follow=True))
    Opinion.objects.filter(pk=opinion.pk).update(overall="评价。")
    client.post(url)
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.SUBMITTED


@pytest.mark.django_db
def test_version_page_reads_a_snapshot(client, world, office_clerk, chair):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    client.post(
        reverse("rectification:opinion_edit", args=[opinion.pk]),
        editor_data(opinion, overall="第二稿的评价"),
    )
    text = page(client.get(reverse("rectification:opinion_version", args=[opinion.pk, 1])))
    assert "第二稿的评价" not in text and "满意度测评结果为" in text
    assert world.findings[0].code in text
    assert (
        client.get(reverse("rectification:opinion_version", args=[opinion.pk, 9])).status_code
        == 404
    )
    # The council does not see drafts, not even their versions.
    client.force_login(chair)
    assert (
        client.get(reverse("rectification:opinion_version", args=[opinion.pk, 1])).status_code
        == 404
    )


@pytest.mark.django_db
def test_preview_starts_a_job(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    response = client.post(reverse("rectification:opinion_preview", args=[opinion.pk]))
    job = Job.objects.get()
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.kind == "rectification.tasks.preview" and job.params == {"opinion": opinion.pk}


# --- issuing ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issue_an_approved_opinion(client, world, office_clerk, chair):
    opinion = approved_opinion(world, office_clerk, chair)
    client.force_login(office_clerk)
    text = page(client.get(reverse("rectification:opinion", args=[opinion.pk])))
    assert opinions.DEFAULT_CC in text and "印发</button>" in text
    response = client.post(
        reverse("rectification:opinion_issue", args=[opinion.pk]),
        {"signed_on": timezone.localdate().isoformat(), "cc": "县委，县人民政府"},
    )
    document = Document.objects.get(opinion=opinion)
    assert response["Location"] == reverse("rectification:document", args=[document.pk])
    assert document.status == DocumentStatus.ISSUED and document.number == 1
    assert document.cc == "县委，县人民政府"
    text = page(client.get(response["Location"]))
    assert document.reference in text and "王堃喆同志" in text and "（一）" in text


@pytest.mark.django_db
def test_issue_refusal_keeps_the_form(client, world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    client.force_login(office_clerk)
    response = client.post(
        reverse("rectification:opinion_issue", args=[opinion.pk]),
        {"signed_on": timezone.localdate().isoformat(), "cc": "只抄送县委"},
    )
    assert response.status_code == 200
    assert "只有主任会议批准的意见才能印发" in page(response)
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_issue_all_starts_the_batch_job(client, world, office_clerk, chair):
    client.force_login(office_clerk)
    url = reverse("rectification:issue_all", args=[world.review.pk])
    assert "没有已批准、待印发的评议意见" in page(client.post(url, follow=True))
    opinion = approved_opinion(world, office_clerk, chair)
    response = client.post(url)
    job = Job.objects.get()
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.params == {"review": world.review.pk, "opinions": [opinion.pk]}


# --- other documents ----------------------------------------------------------------------------


@pytest.fixture
def drafts_initial(monkeypatch):
    """A fixed draft, so these tests check the pages, not the drafting (tested with drafts.py);
    test_result_notice_from_the_real_draft uses the real one."""

    def initial(review, kind, *, subject=None):
        return {
            "title": f"关于{review.title}测评结果的通报",
            "recipients": "各有关单位",
            "cc": "县委",
            "body": [
                {"kind": "paragraph", "text": "现将测评结果通报如下："},
                {"kind": "table", "header": ["评议对象", "满意率"], "rows": [["王堃喆", "83%"]]},
            ],
        }

    from rectification import drafts

    monkeypatch.setattr(drafts, "initial", initial, raising=False)
    return initial


@pytest.mark.django_db
def test_create_edit_and_issue_a_result_notice(client, world, office_clerk, drafts_initial):
    client.force_login(office_clerk)
    url = reverse("rectification:document_create", args=[world.review.pk, "result_notice"])
    response = client.post(url)
    document = Document.objects.get()
    assert response["Location"] == reverse("rectification:document_edit", args=[document.pk])
    assert document.kind == DocumentKind.RESULT_NOTICE and document.recipients == "各有关单位"
    form = page(client.get(response["Location"]))
    assert "现将测评结果通报如下：" in form and "【表格】" in form
    edit = {
        "title": "关于2025年度述职评议测评结果的通报",
        "organ": str(document.organ_id),
        "recipients": "各有关单位",
        "cc": "县委",
        "signed_on": "",
        "body": "现将测评结果通报如下：\n【表格】\n一、总体情况\n测评总体平稳。",
    }
    assert client.post(response["Location"], edit).status_code == 302
    document.refresh_from_db()
    assert [b["kind"] for b in document.body] == ["paragraph", "table", "heading", "paragraph"]
    text = page(client.get(reverse("rectification:document", args=[document.pk])))
    assert "一、总体情况" in text and "王堃喆" in text and "编号并印发" in text
    response = client.post(
        reverse("rectification:document_issue", args=[document.pk]),
        {"signed_on": timezone.localdate().isoformat()},
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED and document.number == 1
    # Issued documents are not edited any more.
    response = client.get(reverse("rectification:document_edit", args=[document.pk]), follow=True)
    assert "公文已印发，不能再修改" in page(response)


@pytest.mark.django_db
def test_result_notice_from_the_real_draft(client, world, office_clerk):
    client.force_login(office_clerk)
    url = reverse("rectification:document_create", args=[world.review.pk, "result_notice"])
    response = client.post(url)
    document = Document.objects.get()
    assert response["Location"] == reverse("rectification:document_edit", args=[document.pk])
    assert document.kind == DocumentKind.RESULT_NOTICE and document.title and document.body
    text = page(client.get(reverse("rectification:document", args=[document.pk])))
    assert "王堃喆" in text


@pytest.mark.django_db
def test_party_report_issue_fulfils_the_obligation(client, world, office_clerk, drafts_initial):
    obligation = Obligation.objects.create(
        review=world.review, kind=ObligationKind.PARTY_REPORT, due_on=timezone.localdate()
    )
    client.force_login(office_clerk)
    client.post(reverse("rectification:document_create", args=[world.review.pk, "party_report"]))
    document = Document.objects.get(kind=DocumentKind.PARTY_REPORT)
    client.post(reverse("rectification:document_issue", args=[document.pk]), {"signed_on": ""})
    obligation.refresh_from_db()
    assert obligation.fulfilled_at is not None and obligation.document_id == document.pk


@pytest.mark.django_db
def test_create_refuses_other_kinds(client, world, office_clerk, chair, drafts_initial):
    client.force_login(office_clerk)
    for kind in ("opinion", "continue_notice", "nonsense"):
        url = reverse("rectification:document_create", args=[world.review.pk, kind])
        assert client.post(url).status_code == 404
    client.force_login(chair)
    url = reverse("rectification:document_create", args=[world.review.pk, "result_notice"])
    assert client.post(url).status_code == 403
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_document_edit_refusal_keeps_typing(client, world, office_clerk):
    document = documents.create_document(
        actor=office_clerk,
        review=world.review,
        kind=DocumentKind.RESULT_NOTICE,
        title="通报",
        body=[{"kind": "paragraph", "text": "原文"}],
    )
    client.force_login(office_clerk)
    response = client.post(
        reverse("rectification:document_edit", args=[document.pk]),
        {"title": "新的标题正在写", "organ": str(document.organ_id), "body": "", "signed_on": "x"},
    )
    assert response.status_code == 200
    text = page(response)
    assert "正文不能为空。" in text and "请输入有效的日期。" in text and "新的标题正在写" in text
    document.refresh_from_db()
    assert document.title == "通报"


@pytest.mark.django_db
def test_document_pages_council_reads_issued_only(client, world, office_clerk, chair):
    draft = documents.create_document(
        actor=office_clerk,
        review=world.review,
        kind=DocumentKind.RESULT_NOTICE,
        title="通报草稿",
        body=[{"kind": "paragraph", "text": "原文"}],
    )
    issued = issued_document(world, office_clerk, chair)
    client.force_login(chair)
    assert client.get(reverse("rectification:document", args=[draft.pk])).status_code == 404
    response = client.get(reverse("rectification:document", args=[issued.pk]))
    assert response.status_code == 200
    assert "登记送达" not in page(response) and "撤回公开" not in page(response)
    assert client.get(reverse("rectification:document_pdf", args=[issued.pk])).status_code == 200
    for name in ("document_retry", "document_publish", "document_unpublish", "document_delivery"):
        assert client.post(reverse(f"rectification:{name}", args=[issued.pk])).status_code == 403
    assert client.get(reverse("rectification:document_edit", args=[draft.pk])).status_code == 403


@pytest.mark.django_db
def test_pdf_download_is_named_after_the_reference(client, world, office_clerk, chair):
    document = issued_document(world, office_clerk, chair)
    client.force_login(office_clerk)
    response = client.get(reverse("rectification:document_pdf", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    from urllib.parse import quote

    expected = quote(f"{document.reference} {document.title.replace(chr(10), '')}.pdf")
    assert expected in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    # No file yet: 404, not an empty download.
    Document.objects.filter(pk=document.pk).update(render_status=RenderStatus.PENDING)
    assert client.get(reverse("rectification:document_pdf", args=[document.pk])).status_code == 404


@pytest.mark.django_db
def test_delivery_publish_unpublish_and_retry(client, world, office_clerk, chair):
    document = issued_document(world, office_clerk, chair)
    client.force_login(office_clerk)
    url = reverse("rectification:document_delivery", args=[document.pk])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(url, {"delivered_on": future})
    assert response.status_code == 200
    assert "送达日期不能晚于今天。" in page(response) and future in page(response)
    client.post(url, {"delivered_on": timezone.localdate().isoformat()})
    document.refresh_from_db()
    assert document.received_on == timezone.localdate() and document.receipt_recorded

    publish = reverse("rectification:document_publish", args=[document.pk])
    assert "评议活动尚未公示" in page(client.post(publish, follow=True))
    world.review.published_at = timezone.now()
    world.review.save(update_fields=["published_at"])
    client.post(publish)
    document.refresh_from_db()
    assert document.published_at is not None
    client.post(reverse("rectification:document_unpublish", args=[document.pk]))
    document.refresh_from_db()
    assert document.published_at is None

    retry = reverse("rectification:document_retry", args=[document.pk])
    assert "文件已生成" in page(client.post(retry, follow=True))
    Document.objects.filter(pk=document.pk).update(
        render_status=RenderStatus.FAILED, render_attempts=3, render_error="生成失败：Timeout"
    )
    text = page(client.get(reverse("rectification:document", args=[document.pk])))
    assert "重新生成" in text and "生成失败：Timeout" in text
    client.post(retry)
    document.refresh_from_db()
    assert document.render_status == RenderStatus.PENDING and document.render_attempts == 0


@pytest.mark.django_db
def test_document_preview_starts_a_job(client, world, office_clerk):
    document = documents.create_document(
        actor=office_clerk,
        review=world.review,
        kind=DocumentKind.RESULT_NOTICE,
        title="通报",
        body=[{"kind": "paragraph", "text": "原文"}],
    )
    client.force_login(office_clerk)
    response = client.post(reverse("rectification:document_preview", args=[document.pk]))
    job = Job.objects.get()
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.params == {"document": document.pk}


# --- issuing organs -------------------------------------------------------------------------


@pytest.mark.django_db
def test_organs_list_new_and_edit(client, office_clerk, chair):
    client.force_login(chair)
    assert client.get(reverse("rectification:organs")).status_code == 403
    assert client.post(reverse("rectification:organ_new"), {}).status_code == 403
    client.force_login(office_clerk)
    text = page(client.get(reverse("rectification:organs")))
    default = IssuingOrgan.objects.get(is_default=True)
    assert default.header in text and "默认" in text
    data = {
        "name": "示范县人大常委会办公室",
        "header": "示范县人大常委会办公室文件",
        "code": "示人办发",
        "signature": "示范县人大常委会办公室",
        "printer": "示范县人大常委会办公室",
        "is_default": "on",
    }
    assert client.post(reverse("rectification:organ_new"), data).status_code == 302
    new = IssuingOrgan.objects.get(code="示人办发")
    assert new.is_default
    default.refresh_from_db()
    assert not default.is_default  # the default moved
    # A code already used is refused with the typed values kept.
    response = client.post(
        reverse("rectification:organ_edit", args=[default.pk]),
        {**data, "name": "改名后的机关", "is_default": ""},
    )
    assert response.status_code == 200
    assert "该发文机关代字已被使用。" in page(response) and "改名后的机关" in page(response)
    assert AuditEvent.objects.filter(action="organ.saved").count() == 1
