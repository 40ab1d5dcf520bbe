"""述职报告: deadline, uploads (versions), the office's decisions, distribution, and the R10/R15
permission matrix of the download view."""

import io
import os
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews import meetings
from reviews.models import Review
from reviews.workflow import Phase
from subjects.files import in_memory
from subjects.models import AuditEvent, CompositionMember, Notification
from subjects.roles import Role
from surveys import duty_reports
from surveys.models import DutyReport, DutyReportSettings, DutyReportStatus, DutyReportVersion
from tests.factories import (
    OfficialFactory,
    ReviewFactory,
    SubjectFactory,
    UnitFactory,
    UserFactory,
    WorkingGroupFactory,
)


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = pdf_bytes()
pytestmark = pytest.mark.django_db


def set_phase(review, phase):
    Review.objects.filter(pk=review.pk).update(phase=phase)
    review.refresh_from_db()
    return review


def upload(subject, user, name="述职报告.pdf", data=PDF):
    return duty_reports.upload_version(actor=user, subject=subject, uploaded=in_memory(data, name))


@pytest.fixture
def world(office_clerk, official_a, official_b, group_member, committee_member):
    review = set_phase(
        ReviewFactory(created_by=office_clerk, title="2025 年度述职评议", term="第十七届"),
        Phase.INVESTIGATE,
    )
    other_member = UserFactory(username="grp2", full_name="周文", roles=[Role.GROUP_MEMBER])
    group_1 = WorkingGroupFactory(review=review, name="第一评议工作组", members=[group_member])
    group_2 = WorkingGroupFactory(review=review, name="第二评议工作组", members=[other_member])
    subject_a = SubjectFactory(
        review=review,
        group=group_1,
        official=OfficialFactory(name="赵建华", user=official_a),
    )
    subject_b = SubjectFactory(
        review=review,
        group=group_2,
        official=OfficialFactory(name="孙丽", user=official_b),
    )
    CompositionMember.objects.create(user=committee_member, term="第十七届")
    other_term = UserFactory(username="member16", roles=[Role.COMMITTEE_MEMBER])
    CompositionMember.objects.create(user=other_term, term="第十六届")
    return SimpleNamespace(
        review=review,
        group_1=group_1,
        group_2=group_2,
        subject_a=subject_a,
        subject_b=subject_b,
        other_group_member=other_member,
        other_term_member=other_term,
    )


def accept(subject, office):
    report = DutyReport.objects.get(subject=subject)
    return duty_reports.accept_report(actor=office, report=report)


def distribute(review, office):
    return duty_reports.distribute(actor=office, review=review, confirm_incomplete=True)


# --- R15: the download view's permission matrix -------------------------------------------------


@pytest.fixture
def uploaded(world, official_a):
    return upload(world.subject_a, official_a)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("official_a", 200),
        ("official_b", 404),
        ("group_member", 200),
        ("other_group_member", 404),
        ("committee_member", 404),  # not distributed yet
        ("deputy", 403),
        ("office_clerk", 200),
        ("chair", 200),
    ],
)
def test_download_matrix_before_distribution(client, request, world, uploaded, who, status):
    user = getattr(world, who, None) or request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("surveys:duty_download", args=[uploaded.pk]))
    assert response.status_code == status


def test_anonymous_download_goes_to_login(client, uploaded):
    response = client.get(reverse("surveys:duty_download", args=[uploaded.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_committee_member_reads_only_accepted_reports_of_their_term_after_distribution(
    client, world, uploaded, official_b, office_clerk, committee_member
):
    other = upload(world.subject_b, official_b)  # submitted, never accepted
    accept(world.subject_a, office_clerk)
    url = reverse("surveys:duty_download", args=[uploaded.pk])
    client.force_login(committee_member)
    assert client.get(url).status_code == 404
    page = reverse("surveys:member_duty_review", args=[world.review.pk])
    assert client.get(page).status_code == 404

    distribute(world.review, office_clerk)
    assert client.get(url).status_code == 200
    assert client.get(reverse("surveys:duty_download", args=[other.pk])).status_code == 404
    response = client.get(page)
    assert response.status_code == 200
    text = response.content.decode()
    assert "赵建华" in text and "孙丽" not in text
    # The index of a member with a single distributed review leads straight to it.
    index = client.get(reverse("surveys:member_duty_reports"))
    assert index.status_code == 302 and index["Location"] == page

    client.force_login(world.other_term_member)
    assert client.get(url).status_code == 404
    assert client.get(page).status_code == 404
    assert (
        "暂无印发的述职报告" in client.get(reverse("surveys:member_duty_reports")).content.decode()
    )


def test_committee_member_cannot_read_an_older_version_after_distribution(
    client, world, official_a, office_clerk, committee_member
):
    first = upload(world.subject_a, official_a)
    upload(world.subject_a, official_a, name="第二稿.pdf")
    accept(world.subject_a, office_clerk)
    distribute(world.review, office_clerk)
    client.force_login(committee_member)
    assert client.get(reverse("surveys:duty_download", args=[first.pk])).status_code == 404


def test_inactive_composition_member_is_refused(client, world, uploaded, office_clerk):
    accept(world.subject_a, office_clerk)
    distribute(world.review, office_clerk)
    former = UserFactory(username="former", roles=[Role.COMMITTEE_MEMBER])
    CompositionMember.objects.create(user=former, term="第十七届", is_active=False)
    client.force_login(former)
    assert client.get(reverse("surveys:duty_download", args=[uploaded.pk])).status_code == 404


def test_download_headers_and_random_storage_name(client, uploaded, official_a):
    client.force_login(official_a)
    response = client.get(reverse("surveys:duty_download", args=[uploaded.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 6266 / 5987: the Chinese name travels percent-encoded as filename*.
    assert "filename*=utf-8''" in disposition
    assert "%E8%B5%B5%E5%BB%BA%E5%8D%8E" in disposition  # 赵建华
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    stored = os.path.basename(uploaded.file.name)
    assert "述职报告" not in uploaded.file.name
    assert len(os.path.splitext(stored)[0]) == 32 and stored.endswith(".pdf")
    assert uploaded.name == "述职报告.pdf"


def test_unit_contact_uploads_and_reads_their_units_report(client, world, office_clerk):
    contact = UserFactory(username="contact", roles=[Role.OFFICIAL])
    unit = UnitFactory(name="县水利局")
    unit.contacts.add(contact)
    subject = SubjectFactory(review=world.review, official=None, unit=unit, display_name="县水利局")
    client.force_login(contact)
    response = client.post(
        reverse("surveys:duty_upload", args=[subject.pk]),
        {"file": in_memory(PDF, "水利局述职报告.pdf")},
    )
    assert response.status_code == 302
    version = DutyReportVersion.objects.get(report__subject=subject)
    assert client.get(reverse("surveys:duty_download", args=[version.pk])).status_code == 200


# --- uploads -----------------------------------------------------------------------------------


def test_official_uploads_versions_through_their_page(client, world, official_a, office_clerk):
    client.force_login(official_a)
    url = reverse("surveys:duty_upload", args=[world.subject_a.pk])
    page = reverse("reviews:official_subject", args=[world.subject_a.pk])
    assert "评议办尚未确定截止时间" in client.get(page).content.decode()

    response = client.post(url, {"file": in_memory(PDF, "初稿.pdf")})
    assert response.status_code == 302 and response["Location"] == page
    accept(world.subject_a, office_clerk)
    response = client.post(url, {"file": in_memory(PDF, "修改稿.pdf")}, follow=True)
    assert "已上传述职报告第 2 版" in response.content.decode()

    report = DutyReport.objects.get(subject=world.subject_a)
    assert [v.number for v in report.versions.all()] == [2, 1]
    assert report.current.number == 2 and report.current.name == "修改稿.pdf"
    assert report.status == DutyReportStatus.SUBMITTED  # back to 待审核 after a new upload
    assert report.decided_at is None
    text = client.get(page).content.decode()
    assert "待审核" in text and "第 2 版" in text and "第 1 版" in text
    assert AuditEvent.objects.filter(action="duty.uploaded").count() == 2


def test_upload_after_the_deadline_is_refused(client, world, official_a):
    DutyReportSettings.objects.create(
        review=world.review, due_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(official_a)
    response = client.post(
        reverse("surveys:duty_upload", args=[world.subject_a.pk]),
        {"file": in_memory(PDF, "迟交.pdf")},
    )
    assert response.status_code == 200
    assert "已超过提交截止时间（" in response.content.decode()
    assert "如需修改请联系评议办" in response.content.decode()
    assert not DutyReportVersion.objects.exists()


def test_deadline_and_days_left_are_shown(client, world, official_a):
    DutyReportSettings.objects.create(
        review=world.review, due_at=timezone.now() + timedelta(days=5)
    )
    client.force_login(official_a)
    text = client.get(reverse("reviews:official_subject", args=[world.subject_a.pk])).content
    assert "还剩 5 天" in text.decode() or "还剩 6 天" in text.decode()


@pytest.mark.parametrize("phase", [Phase.PREPARE, Phase.RECTIFY])
def test_upload_outside_investigate_and_meeting_is_refused(client, world, official_a, phase):
    set_phase(world.review, phase)
    client.force_login(official_a)
    response = client.post(
        reverse("surveys:duty_upload", args=[world.subject_a.pk]),
        {"file": in_memory(PDF, "a.pdf")},
    )
    assert "当前不能上传" in response.content.decode()
    assert not DutyReportVersion.objects.exists()


def test_upload_after_distribution_is_refused(world, official_a, office_clerk):
    upload(world.subject_a, official_a)
    accept(world.subject_a, office_clerk)
    distribute(world.review, office_clerk)
    with pytest.raises(Exception, match="印发"):
        upload(world.subject_a, official_a)
    assert DutyReportVersion.objects.count() == 1


def test_upload_permissions(client, world, official_b, deputy):
    url = reverse("surveys:duty_upload", args=[world.subject_a.pk])
    assert client.post(url, {"file": in_memory(PDF, "a.pdf")})["Location"].startswith(
        reverse("login")
    )
    client.force_login(official_b)  # another official's subject: not leaked
    assert client.post(url, {"file": in_memory(PDF, "a.pdf")}).status_code == 404
    client.force_login(deputy)
    assert client.post(url, {"file": in_memory(PDF, "a.pdf")}).status_code == 403
    assert not DutyReportVersion.objects.exists()


def test_upload_without_a_file_says_so(client, world, official_a):
    client.force_login(official_a)
    response = client.post(reverse("surveys:duty_upload", args=[world.subject_a.pk]), {})
    assert "请选择要上传的述职报告文件" in response.content.decode()


# --- the office: deadline ------------------------------------------------------------------------


def test_presets_come_from_the_first_meeting(client, world, office_clerk, official_a):
    starts = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=40), datetime.min.time())
    )
    meetings.create_meeting(
        actor=office_clerk,
        review=world.review,
        session_name="第二十次会议",
        starts_at=starts.replace(hour=9),
        place="会议室",
    )
    Review.objects.filter(pk=world.review.pk).update(meeting_starts_on=date(2030, 1, 1))
    client.force_login(office_clerk)
    url = reverse("surveys:duty_deadline", args=[world.review.pk])
    text = client.get(url).content.decode()
    assert "首次评议会议日期" in text and "会议前 20 天" in text

    response = client.post(url, {"preset": "20"})
    assert response.status_code == 302
    due = DutyReportSettings.objects.get(review=world.review).due_at
    expected = starts.date() - timedelta(days=20)
    assert timezone.localtime(due).date() == expected
    assert timezone.localtime(due).hour == 18
    event = AuditEvent.objects.get(action="duty.deadline_set")
    assert "设定述职报告截止时间" in event.summary
    note = Notification.objects.get(recipient=official_a)
    assert note.title == "请提交述职报告"
    assert note.url == reverse("reviews:official_subject", args=[world.subject_a.pk])
    assert Notification.objects.count() == 2  # both officials

    # Changing it is audited again and tells the officials it changed.
    response = client.post(url, {"preset": "7"})
    assert AuditEvent.objects.filter(action="duty.deadline_set").count() == 2
    assert "改为" in AuditEvent.objects.filter(action="duty.deadline_set").latest("pk").summary
    assert Notification.objects.filter(title="述职报告提交截止时间已调整").count() == 2


def test_presets_fall_back_to_the_timetable(client, world, office_clerk):
    meeting_day = timezone.localdate() + timedelta(days=30)
    Review.objects.filter(pk=world.review.pk).update(meeting_starts_on=meeting_day)
    client.force_login(office_clerk)
    url = reverse("surveys:duty_deadline", args=[world.review.pk])
    assert "评议会议阶段开始" in client.get(url).content.decode()
    client.post(url, {"preset": "10"})
    due = DutyReportSettings.objects.get(review=world.review).due_at
    assert timezone.localtime(due).date() == meeting_day - timedelta(days=10)


def test_presets_are_disabled_without_a_meeting_date(client, world, office_clerk):
    client.force_login(office_clerk)
    url = reverse("surveys:duty_deadline", args=[world.review.pk])
    text = client.get(url).content.decode()
    assert "尚未创建评议会议" in text and "disabled" in text
    response = client.post(url, {"preset": "20"})
    assert "无法按会议日期推算" in response.content.decode()
    assert not DutyReportSettings.objects.filter(due_at__isnull=False).exists()


def test_manual_deadline_keeps_input_and_refuses_the_past(client, world, office_clerk):
    client.force_login(office_clerk)
    url = reverse("surveys:duty_deadline", args=[world.review.pk])
    response = client.post(url, {"due_at": "2001-01-01T09:00"})
    text = response.content.decode()
    assert "截止时间必须晚于现在" in text and "2001-01-01T09:00" in text
    future = (timezone.localtime() + timedelta(days=15)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"due_at": future}).status_code == 302
    assert DutyReportSettings.objects.get(review=world.review).due_at is not None


def test_deadline_permissions(client, world, chair, group_member, official_a):
    url = reverse("surveys:duty_deadline", args=[world.review.pk])
    client.force_login(chair)  # the council reads, does not set
    assert client.post(url, {"preset": "20"}).status_code == 403
    client.force_login(group_member)
    assert client.get(url).status_code == 403
    client.force_login(official_a)
    assert client.get(url).status_code == 403
    assert not DutyReportSettings.objects.exists()


# --- the office: decisions -----------------------------------------------------------------------


def test_office_accepts_and_returns_with_a_comment(
    client, world, uploaded, office_clerk, official_a
):
    report = DutyReport.objects.get(subject=world.subject_a)
    client.force_login(office_clerk)
    detail = reverse("surveys:duty_report", args=[report.pk])
    assert "接收第 1 版" in client.get(detail).content.decode()

    response = client.post(reverse("surveys:duty_return", args=[report.pk]), {"comment": ""})
    assert "请填写退回意见" in response.content.decode()
    report.refresh_from_db()
    assert report.status == DutyReportStatus.SUBMITTED

    response = client.post(
        reverse("surveys:duty_return", args=[report.pk]), {"comment": "请补充履职中的不足。"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == DutyReportStatus.RETURNED
    assert report.comment == "请补充履职中的不足。"
    assert AuditEvent.objects.filter(action="duty.returned").exists()
    note = Notification.objects.get(recipient=official_a)
    assert "请补充履职中的不足" in note.body
    client.force_login(official_a)
    page = client.get(reverse("reviews:official_subject", args=[world.subject_a.pk]))
    assert "已退回" in page.content.decode() and "请补充履职中的不足" in page.content.decode()

    upload(world.subject_a, official_a, name="修改稿.pdf")
    client.force_login(office_clerk)
    response = client.post(reverse("surveys:duty_accept", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == DutyReportStatus.ACCEPTED and report.decided_by == office_clerk
    assert report.comment == ""
    assert AuditEvent.objects.filter(action="duty.accepted").exists()
    assert Notification.objects.filter(
        recipient=official_a, title="评议办已接收您的述职报告"
    ).exists()
    client.force_login(official_a)
    page = client.get(reverse("reviews:official_subject", args=[world.subject_a.pk]))
    assert "评议办已接收您的述职报告" in page.content.decode()


def test_decision_permissions(client, world, uploaded, chair, group_member, official_a):
    report = DutyReport.objects.get(subject=world.subject_a)
    accept_url = reverse("surveys:duty_accept", args=[report.pk])
    client.force_login(chair)  # council reads the report, cannot decide
    assert client.get(reverse("surveys:duty_report", args=[report.pk])).status_code == 200
    assert client.post(accept_url).status_code == 403
    client.force_login(group_member)
    assert client.get(reverse("surveys:duty_report", args=[report.pk])).status_code == 403
    client.force_login(official_a)
    assert client.post(accept_url).status_code == 403
    report.refresh_from_db()
    assert report.status == DutyReportStatus.SUBMITTED


# --- distribution ------------------------------------------------------------------------------


def test_distribution_requires_confirmation_when_some_are_not_accepted(
    client, world, uploaded, office_clerk, chair
):
    url = reverse("surveys:duty_distribute", args=[world.review.pk])
    client.force_login(office_clerk)
    response = client.post(url, {})
    assert "还没有已接收的述职报告" in response.content.decode()
    accept(world.subject_a, office_clerk)
    text = client.get(url).content.decode()
    assert "已接收，将印发：<strong>1</strong>" in text
    assert "不印发：<strong>1</strong>" in text
    response = client.post(url, {})
    assert "还有 1 份述职报告未接收" in response.content.decode()
    assert not DutyReportSettings.objects.filter(distributed_at__isnull=False).exists()
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    settings = DutyReportSettings.objects.get(review=world.review)
    assert settings.distributed_at is not None and settings.distributed_by == office_clerk
    event = AuditEvent.objects.get(action="duty.distributed")
    assert "1 份述职报告印发" in event.summary
    # Accepted reports can no longer be returned, nor the deadline moved.
    report = DutyReport.objects.get(subject=world.subject_a)
    with pytest.raises(Exception, match="已印发"):
        duty_reports.return_report(actor=office_clerk, report=report, comment="再改改")
    client.force_login(chair)
    assert client.post(url, {"confirm": "on"}).status_code == 403


# --- the office list: scoping and a fixed number of queries -------------------------------------


def test_office_list_marks_and_query_count(
    client, world, official_a, office_clerk, django_assert_max_num_queries
):
    upload(world.subject_a, official_a)
    upload(world.subject_a, official_a)
    DutyReportSettings.objects.create(
        review=world.review, due_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(office_clerk)
    url = reverse("surveys:duty_reports", args=[world.review.pk])
    text = client.get(url).content.decode()
    assert "赵建华" in text and "孙丽" in text
    assert "逾期未交" in text  # 孙丽 has not uploaded and the deadline has passed
    assert "1 / 2" in text

    for i in range(40):
        official = OfficialFactory(user=UserFactory(roles=[Role.OFFICIAL]))
        subject = SubjectFactory(review=world.review, official=official, group=world.group_1)
        if i % 2:
            report = DutyReport.objects.create(subject=subject)
            version = DutyReportVersion.objects.create(
                report=report,
                number=1,
                file="private/surveys/x.pdf",
                name="x.pdf",
                uploaded_by=office_clerk,
            )
            report.current = version
            report.save()
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count("/duty-reports/versions/") >= 20


def test_group_member_sees_only_their_groups_subjects(client, world, group_member, deputy):
    url = reverse("surveys:duty_reports", args=[world.review.pk])
    client.force_login(group_member)
    text = client.get(url).content.decode()
    assert "赵建华" in text and "孙丽" not in text
    client.force_login(deputy)
    assert client.get(url).status_code == 403


def test_list_anonymous_goes_to_login(client, world):
    response = client.get(reverse("surveys:duty_reports", args=[world.review.pk]))
    assert response["Location"].startswith(reverse("login"))


# --- the review page's card ----------------------------------------------------------------------


def test_card_shows_deadline_counts_and_distribution(world, uploaded, office_clerk):
    accept(world.subject_a, office_clerk)
    DutyReportSettings.objects.filter(review=world.review).update(
        due_at=timezone.now() + timedelta(days=3)
    )
    request = RequestFactory().get("/")
    request.user = office_clerk
    html = Template("{% load duty_tags %}{% duty_reports_card review %}").render(
        Context({"review": world.review, "request": request})
    )
    assert "1 / 2" in html and "1 份未交" in html and "未印发" in html
    assert reverse("surveys:duty_reports", args=[world.review.pk]) in html
    assert "审核与印发" in html


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_uploads_get_consecutive_numbers(requires_postgres, office_clerk, official_a):
    from tests.reviews.test_secret_ballot import run_at_once

    review = set_phase(ReviewFactory(created_by=office_clerk), Phase.INVESTIGATE)
    subject = SubjectFactory(review=review, official=OfficialFactory(user=official_a))

    def job():
        upload(subject, official_a)

    outcomes, errors = run_at_once([job] * 6)
    assert errors == []
    assert outcomes.count("ok") == 6
    report = DutyReport.objects.get(subject=subject)
    assert sorted(report.versions.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert report.current.number == 6
