"""调查报告: who may open and post every view (R10), drafts with optimistic locking, "从问题清单
填入", submission to the chairpersons' council, hearing and returning, attachments (R14,
R15), the council's list, the investigation card of the review page and fixed query counts."""

import os
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews.workflow import Phase
from subjects.models import AuditEvent, Notification
from surveys import findings as finding_services
from surveys import investigation
from surveys.models import InvestigationReport, InvestigationReportAttachment, ReportStatus
from tests.factories import SubjectFactory
from tests.surveys.investigation_world import (
    EXE,
    LOGIN,
    PERSONAS,
    assert_outcome,
    build_world,
    expected,
    pdf_bytes,
)


@pytest.fixture
def world(office_clerk, chair, group_member, committee_member, deputy, official_a):
    return build_world(office_clerk, chair, group_member, committee_member, deputy, official_a)


SECTIONS = {
    "overview": "王建国同志任现职以来……",
    "achievements": "推进了政务服务改革。",
    "problems": "一、依法行政方面\n1. 行政许可超时办结",
    "suggestions": "建议进一步规范审批流程。",
}


def save(world, subject=None, *, user=None, version=None, **sections):
    subject = subject or world.a1
    if version is None:
        report = InvestigationReport.objects.filter(subject=subject).first()
        version = report.version if report else 0
    return investigation.save_report(
        actor=user or world.user("group"),
        subject=subject,
        version=version,
        **{**SECTIONS, **sections},
    )


def submitted(world, subject=None):
    save(world, subject)
    return investigation.submit_report(actor=world.user("group"), subject=subject or world.a1)


def stored_files() -> int:
    root = os.path.join(settings.MEDIA_ROOT, "private", "surveys")
    return sum(len(files) for _dir, _sub, files in os.walk(root))


# --- R10 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_read_views_matrix(world, persona):
    save(world)
    investigation.add_report_attachments(
        actor=world.user("group"),
        subject=world.a1,
        files=[SimpleUploadedFile("附件.pdf", pdf_bytes())],
    )
    attachment = InvestigationReportAttachment.objects.get()
    client = world.client(persona)
    outcome = expected(persona, write=False)
    assert_outcome(client.get(reverse("surveys:report", args=[world.a1.pk])), outcome)
    assert_outcome(
        client.get(reverse("surveys:report_attachment", args=[world.a1.pk, attachment.pk])),
        outcome,
    )
    listing = client.get(reverse("surveys:report_list", args=[world.review.pk]))
    if persona == "other_group":
        assert listing.status_code == 200
        assert "王建国" not in listing.content.decode()
    else:
        assert_outcome(listing, outcome)
    pending = client.get(reverse("surveys:reports_pending"))
    if persona in ("office", "council"):
        assert pending.status_code == 200
    elif persona == "anon":
        assert_outcome(pending, LOGIN)
    else:
        assert pending.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_write_views_matrix(world, persona):
    save(world)
    investigation.add_report_attachments(
        actor=world.user("group"),
        subject=world.a1,
        files=[SimpleUploadedFile("附件.pdf", pdf_bytes())],
    )
    attachment = InvestigationReportAttachment.objects.get()
    client = world.client(persona)
    outcome = expected(persona, write=True)
    pk = world.a1.pk
    save_response = client.post(
        reverse("surveys:report_save", args=[pk]),
        {"version": 1, **SECTIONS, "overview": f"{persona} 改写", "action": "save"},
    )
    upload = client.post(
        reverse("surveys:report_attachment_upload", args=[pk]),
        {"files": [SimpleUploadedFile(f"{persona}.pdf", pdf_bytes())]},
    )
    remove = client.post(reverse("surveys:report_attachment_remove", args=[pk, attachment.pk]))
    submit = client.post(reverse("surveys:report_submit", args=[pk]))
    for response in (save_response, upload, remove, submit):
        assert_outcome(response, outcome)
    report = InvestigationReport.objects.get(subject=world.a1)
    allowed = outcome == "ok"
    assert (report.overview == f"{persona} 改写") == allowed
    assert (report.status == ReportStatus.SUBMITTED) == allowed
    assert InvestigationReportAttachment.objects.filter(name=f"{persona}.pdf").exists() == allowed
    assert InvestigationReportAttachment.objects.filter(pk=attachment.pk).exists() != allowed


@pytest.mark.parametrize("persona", PERSONAS)
def test_hear_and_return_are_for_the_council_only(world, persona):
    submitted(world)
    client = world.client(persona)
    hear = client.post(
        reverse("surveys:report_hear", args=[world.a1.pk]),
        {"heard_on": "2025-06-10", "session": "第十五次主任会议"},
    )
    if persona == "council":
        assert hear.status_code == 302
        assert InvestigationReport.objects.get().status == ReportStatus.HEARD
        return
    if persona == "anon":
        assert_outcome(hear, LOGIN)
    elif persona == "other_group":
        assert hear.status_code == 403  # not a council member: refused before any lookup
    else:
        assert hear.status_code == 403
    ret = client.post(reverse("surveys:report_return", args=[world.a1.pk]), {"comment": "重写"})
    assert ret.status_code in (302, 403)
    assert InvestigationReport.objects.get().status == ReportStatus.SUBMITTED


# --- drafting -----------------------------------------------------------------------------------


def test_group_member_saves_a_draft_through_the_page(world):
    client = world.client("group")
    page = client.get(reverse("surveys:report", args=[world.a1.pk])).content.decode()
    assert 'name="version" value="0"' in page
    response = client.post(
        reverse("surveys:report_save", args=[world.a1.pk]),
        {"version": 0, **SECTIONS, "action": "save"},
    )
    assert response.status_code == 302
    report = InvestigationReport.objects.get()
    assert report.version == 1
    assert report.group == world.group_a
    assert report.status == ReportStatus.DRAFT
    assert report.overview == SECTIONS["overview"]
    response = client.post(
        reverse("surveys:report_save", args=[world.a1.pk]),
        {"version": 1, **SECTIONS, "suggestions": "第二稿建议", "action": "save"},
    )
    report.refresh_from_db()
    assert report.version == 2 and report.suggestions == "第二稿建议"
    assert AuditEvent.objects.filter(action="investigation.report_saved").count() == 2


def test_optimistic_lock_refuses_a_stale_save_and_keeps_the_typed_text(world, django_user_model):
    save(world)  # version 1, loaded by both editors
    colleague = django_user_model.objects.create(username="colleague2", full_name="吴晓东")
    world.group_a.members.add(colleague)
    from subjects.models import UserRole

    UserRole.objects.create(user=colleague, role="group_member")
    save(world, user=colleague, version=1, overview="同事先保存的文字")  # version 2
    response = world.client("group").post(
        reverse("surveys:report_save", args=[world.a1.pk]),
        {"version": 1, **SECTIONS, "overview": "我刚写好的一大段文字", "action": "save"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "该报告已被他人修改（吴晓东于" in page
    assert "请刷新后再编辑" in page
    assert "我刚写好的一大段文字" in page  # R23
    report = InvestigationReport.objects.get()
    assert report.overview == "同事先保存的文字"
    assert report.version == 2
    with pytest.raises(ValidationError, match="该报告已被他人修改"):
        save(world, version=1)


def test_two_first_saves_do_not_both_create(world):
    save(world, version=0)
    with pytest.raises(ValidationError, match="该报告已被他人修改"):
        save(world, version=0)
    assert InvestigationReport.objects.count() == 1


def test_fill_from_findings_appends_active_findings_grouped_by_category(world):
    world.finding(category="duty", description="重点项目推进缓慢")  # 001
    world.finding(category="law", description="行政许可超时办结")  # 002
    gone = world.finding(category="law", description="已撤销的问题")  # 003
    finding_services.withdraw_finding(actor=world.user("group"), finding=gone)
    world.finding(category="law", description="执法程序不规范")  # 004
    world.finding(world.a2, category="law", description="别人的问题")  # 005
    response = world.client("group").post(
        reverse("surveys:report_save", args=[world.a1.pk]),
        {"version": 0, **SECTIONS, "problems": "我先写的开头", "action": "fill"},
    )
    assert response.status_code == 200
    problems = response.context["form"]["problems"].value()
    assert problems == (
        "我先写的开头\n\n"
        "一、依法行政方面\n"
        "1. 行政许可超时办结（问题-2025-002）\n"
        "2. 执法程序不规范（问题-2025-004）\n"
        "二、履职尽责方面\n"
        "1. 重点项目推进缓慢（问题-2025-001）"
    )
    page = response.content.decode()
    assert "已从问题清单填入 3 条问题" in page
    assert "我先写的开头" in page
    assert InvestigationReport.objects.count() == 0  # nothing saved until 保存草稿


# --- submit, return, resubmit, hear -------------------------------------------------------------


def test_submit_needs_all_sections(world):
    save(world, achievements="", suggestions="")
    response = world.client("group").post(
        reverse("surveys:report_submit", args=[world.a1.pk]), follow=True
    )
    assert "请先填写“主要成绩”“意见和建议”并保存" in response.content.decode()
    assert InvestigationReport.objects.get().status == ReportStatus.DRAFT


def test_full_flow_submit_return_resubmit_hear(world):
    client = world.client("group")
    save(world)
    response = client.post(reverse("surveys:report_submit", args=[world.a1.pk]))
    assert response.status_code == 302
    report = InvestigationReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_at
    chair = world.user("council")
    assert Notification.objects.filter(recipient=chair, title__contains="王建国").exists()
    # Submitted: the group can no longer edit.
    page = client.get(reverse("surveys:report", args=[world.a1.pk])).content.decode()
    assert "报送期间不能修改" in page and 'name="overview"' not in page
    with pytest.raises(ValidationError, match="不能再修改"):
        save(world)

    council = world.client("council")
    pending = council.get(reverse("surveys:reports_pending")).content.decode()
    assert "关于王建国的调查报告" in pending
    page = council.get(reverse("surveys:report", args=[world.a1.pk])).content.decode()
    assert "记录已听取" in page and "退回修改" in page
    response = council.post(reverse("surveys:report_return", args=[world.a1.pk]), {"comment": ""})
    assert "退回时请写明修改意见。" in response.content.decode()
    response = council.post(
        reverse("surveys:report_return", args=[world.a1.pk]),
        {"comment": "请补充代表意见的具体数据。"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    note = Notification.objects.get(recipient=world.user("group"))
    assert "退回" in note.title and "请补充代表意见的具体数据。" in note.body
    assert note.url == reverse("surveys:report", args=[world.a1.pk])

    page = client.get(reverse("surveys:report", args=[world.a1.pk])).content.decode()
    assert "请补充代表意见的具体数据。" in page and 'name="overview"' in page
    save(world, overview="补充了代表意见的数据")
    client.post(reverse("surveys:report_submit", args=[world.a1.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    response = council.post(
        reverse("surveys:report_hear", args=[world.a1.pk]),
        {"heard_on": (timezone.localdate() + timedelta(days=1)).isoformat(), "session": "x"},
    )
    assert "听取日期不能晚于今天。" in response.content.decode()
    response = council.post(
        reverse("surveys:report_hear", args=[world.a1.pk]),
        {"heard_on": "2025-06-10", "session": "第十五次主任会议"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.HEARD
    assert report.heard_on == date(2025, 6, 10)
    assert report.heard_session == "第十五次主任会议"
    assert AuditEvent.objects.filter(action="investigation.report_heard").count() == 1

    # Heard: read-only for everybody.
    page = client.get(reverse("surveys:report", args=[world.a1.pk])).content.decode()
    assert "第十五次主任会议已于 2025年6月10日 听取本报告" in page
    assert 'name="overview"' not in page and "补充了代表意见的数据" in page
    response = client.post(
        reverse("surveys:report_save", args=[world.a1.pk]),
        {"version": report.version, **SECTIONS, "action": "save"},
        follow=True,
    )
    assert "不能再修改" in response.content.decode()
    with pytest.raises(ValidationError):
        investigation.return_report(actor=world.user("council"), subject=world.a1, comment="再改")
    response = client.post(
        reverse("surveys:report_attachment_upload", args=[world.a1.pk]),
        {"files": [SimpleUploadedFile("晚到.pdf", pdf_bytes())]},
        follow=True,
    )
    assert "不能再添加附件" in response.content.decode()
    report.refresh_from_db()
    assert report.overview == "补充了代表意见的数据"


def test_prepare_phase_refuses_drafts(world):
    world.set_phase(Phase.PREPARE)
    with pytest.raises(ValidationError, match="调查工作尚未开始"):
        save(world)
    page = world.client("group").get(reverse("surveys:report", args=[world.a1.pk]))
    assert "调查工作尚未开始" in page.content.decode()
    assert 'name="overview"' not in page.content.decode()


# --- attachments ----------------------------------------------------------------------------------


def test_report_attachments_are_checked_by_content(world):
    client = world.client("group")
    before = stored_files()
    response = client.post(
        reverse("surveys:report_attachment_upload", args=[world.a1.pk]),
        {"files": [SimpleUploadedFile("数据.pdf", pdf_bytes()), SimpleUploadedFile("x.pdf", EXE)]},
    )
    page = response.content.decode()
    assert "附件“x.pdf”未能上传：只能上传 PDF、Word（.docx） 文件" in page
    assert InvestigationReportAttachment.objects.count() == 0
    assert InvestigationReport.objects.count() == 0
    assert stored_files() == before
    response = client.post(
        reverse("surveys:report_attachment_upload", args=[world.a1.pk]),
        {"files": [SimpleUploadedFile("数据.pdf", pdf_bytes())]},
    )
    assert response.status_code == 302
    attachment = InvestigationReportAttachment.objects.get()
    assert attachment.name == "数据.pdf"
    download = world.client("council").get(
        reverse("surveys:report_attachment", args=[world.a1.pk, attachment.pk])
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # An attachment id of another subject's report is a 404, not a leak.
    assert (
        client.get(
            reverse("surveys:report_attachment", args=[world.a2.pk, attachment.pk])
        ).status_code
        == 404
    )


# --- lists, the card and query counts ------------------------------------------------------


def test_report_list_and_pending_run_a_fixed_number_of_queries(
    world, django_assert_max_num_queries
):
    subjects = [SubjectFactory(review=world.review, group=world.group_a) for _ in range(25)]
    for subject in subjects:
        save(world, subject)
        investigation.submit_report(actor=world.user("group"), subject=subject)
        world.finding(subject)
    client = world.client("group")
    url = reverse("surveys:report_list", args=[world.review.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("已报送主任会议") == 25
    council = world.client("council")
    council.get(reverse("surveys:reports_pending"))
    with django_assert_max_num_queries(10):
        response = council.get(reverse("surveys:reports_pending"))
    assert response.content.decode().count("审阅并听取") == 25


def render_card(world, persona):
    request = RequestFactory().get("/")
    request.user = world.user(persona)
    template = Template("{% load investigation_tags %}{% investigation_card review %}")
    return template.render(Context({"request": request, "review": world.review}))


def test_investigation_card_counts_only_own_groups_for_members(world):
    world.activity()
    world.activity(group=world.group_b, subjects=[world.b1], user=world.user("other_group"))
    world.finding(world.a1)
    gone = world.finding(world.a2)
    finding_services.withdraw_finding(actor=world.user("group"), finding=gone)
    world.finding(world.b1, user=world.user("other_group"))
    submitted(world, world.a1)
    save(world, world.a2)

    html = render_card(world, "group")
    assert "本组负责的 2 个评议对象" in html
    assert reverse("surveys:activity_list", args=[world.review.pk]) in html
    assert reverse("surveys:activity_create", args=[world.review.pk]) in html
    assert '>1</span>\n          <span class="small text-body-secondary">调查活动' in html
    assert "另有 1 条已撤销" in html
    assert "已报送主任会议 1" in html and "起草中 1" in html and "未起草 0" in html

    html = render_card(world, "office")
    assert '>2</span>\n          <span class="small text-body-secondary">调查活动' in html
    assert "未起草 1" in html

    html = render_card(world, "council")
    assert reverse("surveys:reports_pending") in html
    assert reverse("surveys:activity_create", args=[world.review.pk]) not in html
    assert render_card(world, "deputy").strip() == ""


def test_card_hides_the_add_button_outside_the_investigation(world):
    world.set_phase(Phase.ARCHIVED)
    html = render_card(world, "group")
    assert reverse("surveys:activity_list", args=[world.review.pk]) in html
    assert reverse("surveys:activity_create", args=[world.review.pk]) not in html
