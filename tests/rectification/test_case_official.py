"""The official's rectification pages: the case clock, the 整改方案 and the 整改报告 with
evidence; another official gets 404 everywhere (R10); refusals keep what was typed (R23)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rectification import cases, documents
from rectification.models import (
    Evidence,
    ItemProgress,
    ItemStatus,
    ObligationKind,
    RectificationCase,
    RectificationItem,
    ReviewStatus,
)
from tests.rectification.test_views_office import issued_document, page
from tests.rectification.world import build_opinion_world
from tests.subjects.test_files import pypdf_pdf, real_docx

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


@pytest.fixture
def case(world, office_clerk, chair, official_a):
    document = issued_document(world, office_clerk, chair)
    documents.acknowledge(actor=official_a, document=document)
    return RectificationCase.objects.get(subject=world.subjects[0])


def url(name, case, *args):
    return reverse(f"rectification:{name}", args=[case.pk, *args])


def pdf(name="整改方案.pdf"):
    return SimpleUploadedFile(name, pypdf_pdf())


def plan_data(case, *, skip=(), **overrides) -> dict:
    """The plan form filled in completely, except the (item order, field) pairs in `skip`."""
    data = {"summary": "成立整改工作领导小组，逐项落实。"}
    for item in case.items.order_by("order"):
        values = {
            "measures": f"第{item.order}项整改措施：开展专项整治",
            "responsible": f"副局长{item.order}",
            "due_on": "2030-06-30",
            "standard": f"第{item.order}项完成标准",
        }
        for name, value in values.items():
            if (item.order, name) not in skip:
                data[f"item-{item.pk}-{name}"] = value
    data.update(overrides)
    return data


def report_data(case, **overrides) -> dict:
    data = {"summary": "整改工作总体完成。"}
    for item in case.items.order_by("order"):
        data[f"item-{item.pk}-status"] = ItemStatus.DONE
        data[f"item-{item.pk}-explanation"] = f"第{item.order}项已整改到位"
    data.update(overrides)
    return data


def every_url(case):
    """(method, url) of every page of the case, for the permission matrix."""
    item = case.items.first()
    report = cases.current_round(case).report
    evidence = Evidence.objects.create(
        progress=report.progress.get(item=item),
        file=SimpleUploadedFile("x.pdf", pypdf_pdf()),
        name="x.pdf",
        uploaded_by=case.subject.official.user,
    )
    return [
        ("get", url("official_case", case)),
        ("get", url("official_case_plan", case)),
        ("post", url("official_case_plan", case)),
        ("get", url("official_case_report", case)),
        ("post", url("official_case_report", case)),
        ("post", url("official_case_evidence", case, item.pk)),
        ("post", url("official_case_evidence_remove", case, evidence.pk)),
        ("get", url("official_case_file", case, "evidence", evidence.pk)),
    ]


# --- R10 ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_permission_matrix(client, case, official_a, official_b, deputy, committee_member):
    urls = every_url(case)
    for method, target in urls:
        response = getattr(client, method)(target)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("login")), target
    client.force_login(official_b)
    for method, target in urls:
        assert getattr(client, method)(target).status_code == 404, (method, target)
    for user in (deputy, committee_member):
        client.force_login(user)
        for method, target in urls:
            assert getattr(client, method)(target).status_code == 403, (user, method, target)
    # Nothing changed on the way.
    assert Evidence.objects.count() == 1
    case.plan.refresh_from_db()
    assert case.plan.summary == ""
    client.force_login(official_a)
    for method, target in urls[:2] + urls[3:4] + urls[-1:]:
        assert getattr(client, method)(target).status_code == 200, target


@pytest.mark.django_db
def test_a_missing_case_or_foreign_item_is_404(client, case, official_a, world):
    client.force_login(official_a)
    assert (
        client.get(reverse("rectification:official_case", args=[case.pk + 99])).status_code == 404
    )
    assert client.post(url("official_case_evidence", case, 999999)).status_code == 404
    assert client.post(url("official_case_evidence_remove", case, 999999)).status_code == 404
    assert client.get(url("official_case_file", case, "bogus", 1)).status_code == 404
    assert client.get(url("official_case_file", case, "plan", case.plan.pk)).status_code == 404


@pytest.mark.django_db
def test_office_pages_are_not_the_officials(client, case, office_clerk, chair):
    for user in (office_clerk, chair):
        client.force_login(user)
        assert client.get(url("official_case", case)).status_code == 403
        assert client.post(url("official_case_plan", case), plan_data(case)).status_code == 403


# --- the case page and the card ------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_shows_the_clock_items_and_opinion(client, case, official_a, world):
    client.force_login(official_a)
    text = page(client.get(url("official_case", case)))
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in text  # 意见送达日期
    plan_due = cases.obligation_of(cases.current_round(case), ObligationKind.PLAN).due_on
    assert f"{plan_due.year}年{plan_due.month}月{plan_due.day}日前" in text
    assert "还剩" in text and "已逾期" not in text
    for item in case.items.all():
        assert item.problem[:10] in text
    assert reverse("rectification:official_document", args=[case.document_id]) in text
    assert "第1轮" in text and "待测评" in text


@pytest.mark.django_db
def test_an_overdue_deadline_is_red(client, case, official_a):
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.PLAN)
    obligation.due_on = timezone.localdate() - timedelta(days=3)
    obligation.save(update_fields=["due_on"])
    client.force_login(official_a)
    text = page(client.get(url("official_case", case)))
    assert '<span class="badge text-bg-danger">已逾期 3 天</span>' in text
    subject_page = page(client.get(reverse("reviews:official_subject", args=[case.subject_id])))
    assert "整改工作" in subject_page and "已逾期 3 天" in subject_page
    assert url("official_case", case) in subject_page


@pytest.mark.django_db
def test_the_card_is_absent_before_the_opinion_is_received(client, world, official_a):
    client.force_login(official_a)
    text = page(client.get(reverse("reviews:official_subject", args=[world.subjects[0].pk])))
    assert "进入整改" not in text


# --- the plan ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_submit_with_gaps_keeps_what_was_typed(client, case, official_a):
    client.force_login(official_a)
    data = plan_data(case, skip={(2, "responsible"), (1, "standard")}, submit="1")
    response = client.post(url("official_case_plan", case), data)
    assert response.status_code == 200
    text = page(response)
    assert "整改方案还不完整" in text
    assert "第2项缺少责任人" in text and "第1项缺少完成标准" in text
    assert "第2项整改措施：开展专项整治" in text and "副局长1" in text
    assert 'value="2030-06-30"' in text
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.DRAFT
    # The draft was saved all the same.
    assert case.plan.summary == "成立整改工作领导小组，逐项落实。"
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.PLAN)
    assert obligation.fulfilled_at is None


@pytest.mark.django_db
def test_a_bad_date_is_refused_on_its_field(client, case, official_a):
    client.force_login(official_a)
    item = case.items.get(order=1)
    data = plan_data(case, **{f"item-{item.pk}-due_on": "明年"}, save="1")
    text = page(client.post(url("official_case_plan", case), data))
    assert "请输入有效的日期。" in text and "第2项整改措施：开展专项整治" in text
    item.refresh_from_db()
    assert item.measures == ""


@pytest.mark.django_db
def test_plan_save_then_submit_fulfils_the_obligation(client, case, official_a):
    client.force_login(official_a)
    response = client.post(url("official_case_plan", case), plan_data(case, save="1", file=pdf()))
    assert response.status_code == 302
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.DRAFT and case.plan.file_name == "整改方案.pdf"
    item = case.items.get(order=2)
    assert item.responsible == "副局长2" and item.due_on.isoformat() == "2030-06-30"

    response = client.post(url("official_case_plan", case), plan_data(case, submit="1"))
    assert response["Location"] == url("official_case", case)
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED and case.plan.submissions == 1
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.PLAN)
    assert obligation.fulfilled_at is not None

    # Read-only while the office reviews it.
    text = page(client.get(url("official_case_plan", case)))
    assert "等待评议办审核" in text and "提交审核</button>" not in text
    assert "副局长2" in text
    response = client.post(
        url("official_case_plan", case), plan_data(case, summary="改了"), follow=True
    )
    assert "整改方案待审核，不能修改。" in page(response)
    case.plan.refresh_from_db()
    assert case.plan.summary == "成立整改工作领导小组，逐项落实。"
    # Its own document can be downloaded.
    file_url = url("official_case_file", case, "plan", case.plan.pk)
    response = client.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_a_refused_plan_document_keeps_the_form(client, case, official_a):
    client.force_login(official_a)
    data = plan_data(case, save="1", file=SimpleUploadedFile("方案.pdf", EXE))
    response = client.post(url("official_case_plan", case), data)
    assert response.status_code == 200
    text = page(response)
    assert "只能上传 PDF、Word（.docx） 文件" in text
    assert "成立整改工作领导小组，逐项落实。" in text and "副局长1" in text
    case.plan.refresh_from_db()
    assert not case.plan.file and case.plan.summary == ""


@pytest.mark.django_db
def test_a_returned_plan_shows_the_comment_and_can_be_resubmitted(
    client, case, official_a, office_clerk
):
    client.force_login(official_a)
    client.post(url("official_case_plan", case), plan_data(case, submit="1"))
    cases.return_plan(actor=office_clerk, case=case, comment="第2项措施过于笼统，请细化。")
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.PLAN)
    assert obligation.fulfilled_at is None

    text = page(client.get(url("official_case", case)))
    assert "整改方案被退回修改" in text and "第2项措施过于笼统，请细化。" in text
    text = page(client.get(url("official_case_plan", case)))
    assert "第2项措施过于笼统，请细化。" in text and "提交审核</button>" in text

    item = case.items.get(order=2)
    data = plan_data(case, submit="1", **{f"item-{item.pk}-measures": "建立执法全过程记录制度"})
    response = client.post(url("official_case_plan", case), data)
    assert response.status_code == 302
    case.plan.refresh_from_db()
    item.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED and case.plan.submissions == 2
    assert item.measures == "建立执法全过程记录制度"
    obligation.refresh_from_db()
    assert obligation.fulfilled_at is not None


# --- the report ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_with_evidence_and_submit(client, case, official_a, office_clerk):
    client.force_login(official_a)
    item = case.items.get(order=1)
    report_url = url("official_case_report", case)

    # Evidence: a refused file type says why; a real document is stored.
    response = client.post(
        url("official_case_evidence", case, item.pk),
        {"file": SimpleUploadedFile("现场照片.pdf", EXE)},
        follow=True,
    )
    assert "第1项佐证材料未上传：只能上传 PDF、Word（.docx） 文件" in page(response)
    assert not Evidence.objects.exists()
    response = client.post(
        url("official_case_evidence", case, item.pk),
        {"file": SimpleUploadedFile("空.pdf", b"")},
        follow=True,
    )
    assert "上传的文件是空的" in page(response) and not Evidence.objects.exists()
    response = client.post(url("official_case_evidence", case, item.pk), follow=True)
    assert "请选择要上传的文件" in page(response)
    response = client.post(
        url("official_case_evidence", case, item.pk),
        {"file": SimpleUploadedFile("制度文件.docx", real_docx())},
    )
    assert response["Location"] == report_url + f"#item-{item.pk}"
    evidence = Evidence.objects.get()
    assert evidence.name == "制度文件.docx" and evidence.progress.item == item
    client.post(url("official_case_evidence", case, item.pk), {"file": pdf("台账.pdf")})
    text = page(client.get(report_url))
    assert "制度文件.docx" in text and "台账.pdf" in text
    assert client.get(url("official_case_file", case, "evidence", evidence.pk)).status_code == 200

    # Removing one.
    client.post(url("official_case_evidence_remove", case, evidence.pk))
    assert list(Evidence.objects.values_list("name", flat=True)) == ["台账.pdf"]

    # Submitting without the report document is refused; what was typed stays.
    data = report_data(case, submit="1", summary="总体完成了九成")
    response = client.post(report_url, data)
    text = page(response)
    assert "整改报告还不完整" in text and "请上传整改落实情况报告正式文本" in text
    assert "总体完成了九成" in text and "第2项已整改到位" in text
    report = cases.current_round(case).report
    assert report.status == ReviewStatus.DRAFT

    # The office does not see a draft's files.
    client.force_login(office_clerk)
    kept = Evidence.objects.get()
    assert client.get(url("official_case_file", case, "evidence", kept.pk)).status_code == 404

    client.force_login(official_a)
    response = client.post(report_url, report_data(case, submit="1", file=pdf("整改报告.pdf")))
    assert response["Location"] == url("official_case", case)
    report.refresh_from_db()
    assert report.status == ReviewStatus.SUBMITTED and report.file_name == "整改报告.pdf"
    assert set(report.progress.values_list("status", flat=True)) == {ItemStatus.DONE}
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.REPORT)
    assert obligation.fulfilled_at is not None
    # Read-only now; evidence can no longer be added.
    text = page(client.get(report_url))
    assert "等待评议办审核" in text and "提交审核</button>" not in text
    response = client.post(
        url("official_case_evidence", case, item.pk), {"file": pdf("晚了.pdf")}, follow=True
    )
    assert "不能再上传佐证材料" in page(response)
    assert Evidence.objects.count() == 1

    # The office downloads what was submitted.
    client.force_login(office_clerk)
    response = client.get(url("official_case_file", case, "report", report.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert client.get(url("official_case_file", case, "evidence", kept.pk)).status_code == 200


@pytest.mark.django_db
def test_report_status_must_be_chosen(client, case, official_a):
    client.force_login(official_a)
    item = case.items.get(order=2)
    data = report_data(case, save="1", **{f"item-{item.pk}-status": "maybe"})
    response = client.post(url("official_case_report", case), data)
    assert response.status_code == 200
    text = page(response)
    assert "请选择完成情况。" in text and "第1项已整改到位" in text


@pytest.mark.django_db
def test_report_page_queries_do_not_grow_with_evidence(
    client, case, official_a, django_assert_max_num_queries
):
    client.force_login(official_a)
    report = cases.current_round(case).report
    for row in report.progress.all():
        for n in range(3):
            Evidence.objects.create(
                progress=row,
                file=SimpleUploadedFile(f"{n}.pdf", b"%PDF-"),
                name=f"{n}.pdf",
                uploaded_by=official_a,
            )
    with django_assert_max_num_queries(16):
        assert client.get(url("official_case_report", case)).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(url("official_case", case)).status_code == 200


@pytest.mark.django_db
def test_ids_of_another_case_do_not_leak_through_ones_own(
    client, world, case, office_clerk, chair, official_a, official_b
):
    other = world.subjects[1]
    other.official.user = official_b
    other.official.save(update_fields=["user"])
    document = issued_document(world, office_clerk, chair, subject=other)
    documents.acknowledge(actor=official_b, document=document)
    theirs = RectificationCase.objects.get(subject=other)
    # (their opinion has no clauses of its own)
    their_item = RectificationItem.objects.create(case=theirs, order=9, problem="乙的问题")
    their_evidence = Evidence.objects.create(
        progress=ItemProgress.objects.create(
            report=cases.current_round(theirs).report, item=their_item
        ),
        file=SimpleUploadedFile("b.pdf", pypdf_pdf()),
        name="b.pdf",
        uploaded_by=official_b,
    )
    client.force_login(official_b)
    assert client.get(url("official_case", theirs)).status_code == 200
    assert client.get(url("official_case", case)).status_code == 404

    client.force_login(official_a)
    assert client.get(url("official_case", theirs)).status_code == 404
    # Their item, evidence and plan through a's own case: not found either.
    response = client.post(url("official_case_evidence", case, their_item.pk), {"file": pdf()})
    assert response.status_code == 404
    target = url("official_case_evidence_remove", case, their_evidence.pk)
    assert client.post(target).status_code == 404
    target = url("official_case_file", case, "evidence", their_evidence.pk)
    assert client.get(target).status_code == 404
    assert client.get(url("official_case_file", case, "plan", theirs.plan.pk)).status_code == 404
    assert Evidence.objects.filter(pk=their_evidence.pk).exists()
    assert not Evidence.objects.filter(progress__item__case=case).exists()
