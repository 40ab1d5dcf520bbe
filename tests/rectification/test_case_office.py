"""The office's case page: who may open it and act on it, accepting and returning plans and
reports, moving a deadline, recording a follow-up (R10, R21, R23)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rectification import cases, documents
from rectification.models import (
    FollowUp,
    Holiday,
    ItemStatus,
    Obligation,
    ObligationKind,
    RectificationCase,
    ReviewStatus,
)
from reviews.models import Review, Subject
from reviews.workflow import Phase
from subjects.models import AuditEvent
from tests.rectification.test_views_office import issued_document
from tests.rectification.world import build_opinion_world


def open_case_for(world, office, council, official, subject=None) -> RectificationCase:
    """Issue the opinion of `subject` (default: the official's) and have it acknowledged."""
    document = issued_document(world, office, council, subject)
    if subject is None or subject == world.subjects[0]:
        documents.acknowledge(actor=official, document=document)
    else:
        documents.record_delivery(
            actor=office, document=document, delivered_on=timezone.localdate()
        )
    return RectificationCase.objects.get(subject=document.subject)


def fill_plan(case, official, submit=True):
    items = {
        item.pk: {
            "measures": f"措施{item.order}",
            "responsible": "张三",
            "due_on": timezone.localdate() + timedelta(days=60),
            "standard": "完成",
        }
        for item in case.items.all()
    }
    cases.save_plan(actor=official, case=case, summary="总体安排", items=items)
    if submit:
        cases.submit_plan(actor=official, case=case)


def fill_report(case, official, statuses=None, submit=True):
    items = list(case.items.order_by("order"))
    statuses = statuses or [ItemStatus.DONE] * len(items)
    progress = {
        item.pk: {"status": status, "explanation": "已推进"}
        for item, status in zip(items, statuses, strict=False)
    }
    cases.save_report(
        actor=official,
        case=case,
        summary="总体情况",
        progress=progress,
        file=ContentFile(b"%PDF-1.7\n", name="报告.pdf"),
    )
    if submit:
        cases.submit_report(actor=official, case=case)


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


@pytest.fixture
def case(world, office_clerk, chair, official_a):
    return open_case_for(world, office_clerk, chair, official_a)


def url(name, case):
    return reverse(f"rectification:{name}", args=[case.pk])


# --- access ------------------------------------------------------------------------------------

ACTIONS = (
    "case_plan_accept",
    "case_plan_return",
    "case_report_accept",
    "case_report_return",
    "case_deadline",
    "case_follow_up",
)


def test_case_page_office_and_council_read(client, case, office_clerk, chair):
    client.force_login(office_clerk)
    response = client.get(url("case", case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王堃喆的整改" in html
    assert "调整时限" in html
    client.force_login(chair)
    response = client.get(url("case", case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王堃喆的整改" in html
    assert "调整时限" not in html  # the council reads only
    assert 'action="' + url("case_deadline", case) not in html


@pytest.mark.parametrize("persona", ["official_a", "official_b", "deputy", "committee_member"])
def test_case_pages_refuse_others(client, case, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("case", case)).status_code == 403
    for name in ACTIONS:
        assert client.post(url(name, case)).status_code == 403, name


def test_council_may_not_act(client, case, chair, official_a):
    fill_plan(case, official_a)
    client.force_login(chair)
    for name in ACTIONS:
        assert client.post(url(name, case)).status_code == 403, name
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED


def test_unknown_case_is_404(client, office_clerk, db):
    client.force_login(office_clerk)
    assert client.get(reverse("rectification:case", args=[999999])).status_code == 404


def test_actions_refuse_get(client, case, office_clerk):
    client.force_login(office_clerk)
    for name in ACTIONS:
        assert client.get(url(name, case)).status_code == 405, name


# --- plan and report -------------------------------------------------------------------------


def test_plan_accept(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    client.force_login(office_clerk)
    page = client.get(url("case", case)).content.decode()
    assert "通过整改方案" in page and "措施1" in page
    response = client.post(url("case_plan_accept", case))
    assert response.status_code == 302
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.ACCEPTED
    assert AuditEvent.objects.filter(action="plan.accepted", actor=office_clerk).exists()
    # Accepting twice is refused with a message, nothing breaks.
    response = client.post(url("case_plan_accept", case), follow=True)
    assert "只有待审核的整改方案可以通过" in response.content.decode()


def test_plan_return_requires_comment_and_keeps_nothing_lost(
    client, case, office_clerk, official_a
):
    fill_plan(case, official_a)
    client.force_login(office_clerk)
    response = client.post(url("case_plan_return", case), {"plan-comment": "  "})
    assert response.status_code == 200
    assert "退回时请写明修改意见" in response.content.decode()
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED
    response = client.post(url("case_plan_return", case), {"plan-comment": "措施不够具体"})
    assert response.status_code == 302
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.RETURNED
    assert case.plan.return_comment == "措施不够具体"
    plan_obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.PLAN)
    assert plan_obligation.fulfilled_at is None
    assert "措施不够具体" in client.get(url("case", case)).content.decode()


def test_report_accept_and_return(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    cases.accept_plan(actor=office_clerk, case=case)
    fill_report(case, official_a)
    client.force_login(office_clerk)
    page = client.get(url("case", case)).content.decode()
    assert "通过整改报告" in page and "已推进" in page
    response = client.post(url("case_report_return", case), {"report-comment": "请补充佐证"})
    assert response.status_code == 302
    report = cases.current_round(case).report
    assert report.status == ReviewStatus.RETURNED
    assert report.return_comment == "请补充佐证"
    cases.submit_report(actor=official_a, case=case)
    response = client.post(url("case_report_accept", case))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReviewStatus.ACCEPTED
    assert AuditEvent.objects.filter(action="report.accepted").exists()


def test_report_return_without_comment_keeps_form(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    fill_report(case, official_a)
    client.force_login(office_clerk)
    response = client.post(url("case_report_return", case), {"report-comment": ""})
    assert response.status_code == 200
    assert "退回时请写明修改意见" in response.content.decode()
    assert cases.current_round(case).report.status == ReviewStatus.SUBMITTED


def test_plan_file_is_linked(client, case, office_clerk, official_a):
    """The plan's file is linked through the checked download of the case's files."""
    cases.save_plan(
        actor=official_a,
        case=case,
        summary="安排",
        items={},
        file=ContentFile(b"%PDF-1.7\n", name="方案.pdf"),
    )
    client.force_login(office_clerk)
    response = client.get(url("case", case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "方案.pdf" in html
    link = reverse("rectification:official_case_file", args=[case.pk, "plan", case.plan.pk])
    assert link in html


# --- deadlines ------------------------------------------------------------------------------


def _next_weekday(day, weekday):
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def test_move_deadline(client, case, office_clerk):
    obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.REPORT)
    new = _next_weekday(timezone.localdate() + timedelta(days=120), 2)  # a Wednesday
    client.force_login(office_clerk)
    response = client.post(
        url("case_deadline", case),
        {"obligation": obligation.pk, "due_on": new.isoformat(), "reason": "经主任会议同意延期"},
    )
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.due_on == new
    event = AuditEvent.objects.get(action="deadline.moved")
    assert event.data["reason"] == "经主任会议同意延期"
    assert event.target_id == str(case.pk)
    assert "经主任会议同意延期" in client.get(url("case", case)).content.decode()


def test_move_deadline_requires_reason_and_keeps_input(client, case, office_clerk):
    obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.REPORT)
    before = obligation.due_on
    new = _next_weekday(timezone.localdate() + timedelta(days=120), 2)
    client.force_login(office_clerk)
    response = client.post(
        url("case_deadline", case),
        {"obligation": obligation.pk, "due_on": new.isoformat(), "reason": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "请写明调整时限的依据" in html
    assert new.isoformat() in html  # the typed date is kept
    obligation.refresh_from_db()
    assert obligation.due_on == before
    assert not AuditEvent.objects.filter(action="deadline.moved").exists()


def test_move_deadline_onto_holiday_names_next_workday(client, case, office_clerk):
    obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.REPORT)
    holiday = _next_weekday(timezone.localdate() + timedelta(days=120), 3)  # a Thursday
    Holiday.objects.create(day=holiday, name="测试假日")
    client.force_login(office_clerk)
    response = client.post(
        url("case_deadline", case),
        {"obligation": obligation.pk, "due_on": holiday.isoformat(), "reason": "延期"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    friday = holiday + timedelta(days=1)
    assert "不是工作日" in html
    assert f"{friday.year}年{friday.month}月{friday.day}日" in html
    assert "延期" in html


def test_move_deadline_of_another_case_is_refused(
    client, world, case, office_clerk, chair, official_a
):
    other = open_case_for(world, office_clerk, chair, official_a, world.subjects[1])
    foreign = Obligation.objects.get(round__case=other, kind=ObligationKind.REPORT)
    new = _next_weekday(timezone.localdate() + timedelta(days=120), 2)
    client.force_login(office_clerk)
    response = client.post(
        url("case_deadline", case), {"obligation": foreign.pk, "due_on": new, "reason": "x"}
    )
    assert response.status_code == 200
    assert "该事项不存在或已完成" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.due_on != new


# --- follow-ups ----------------------------------------------------------------------------


def test_follow_up_clears_explanation_due(client, case, office_clerk):
    Subject.objects.filter(pk=case.subject_id).update(explanation_due=True)
    client.force_login(office_clerk)
    assert "须向主任会议说明" in client.get(url("case", case)).content.decode()
    response = client.post(
        url("case_follow_up", case),
        {
            "kind": "explanation",
            "session": "第三十六次主任会议",
            "held_on": timezone.localdate().isoformat(),
            "summary": "作了说明",
        },
    )
    assert response.status_code == 302
    assert FollowUp.objects.filter(case=case, kind="explanation").count() == 1
    assert not Subject.objects.get(pk=case.subject_id).explanation_due
    html = client.get(url("case", case)).content.decode()
    assert "第三十六次主任会议" in html
    assert "须向主任会议说明</span>" not in html


def test_follow_up_in_future_is_refused_and_kept(client, case, office_clerk):
    client.force_login(office_clerk)
    future = timezone.localdate() + timedelta(days=3)
    response = client.post(
        url("case_follow_up", case),
        {
            "kind": "inquiry",
            "session": "第二十次常委会会议",
            "held_on": future.isoformat(),
            "summary": "专题询问",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "日期不能晚于今天" in html
    assert "第二十次常委会会议" in html and "专题询问" in html
    assert not FollowUp.objects.exists()


def test_archived_review_is_read_only(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    Review.objects.filter(pk=case.review_id).update(phase=Phase.ARCHIVED)
    client.force_login(office_clerk)
    html = client.get(url("case", case)).content.decode()
    assert "通过整改方案" not in html
    response = client.post(url("case_plan_accept", case), follow=True)
    assert "已归档" in response.content.decode()
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED


def test_case_page_query_count_does_not_grow(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    fill_report(case, official_a, submit=False)
    items = list(case.items.order_by("order"))
    cases.add_evidence(
        actor=official_a, case=case, item=items[0], file=ContentFile(b"1", name="a.pdf")
    )
    cases.submit_report(actor=official_a, case=case)
    client.force_login(office_clerk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("case", case)).status_code == 200
    cases.return_report(actor=office_clerk, case=case, comment="补充")
    for item in items:
        for name in ("b.pdf", "c.pdf"):
            cases.add_evidence(
                actor=official_a, case=case, item=item, file=ContentFile(b"1", name=name)
            )
    cases.submit_report(actor=official_a, case=case)
    cases.record_follow_up(
        actor=office_clerk,
        case=case,
        kind="inquiry",
        session="第二十次常委会会议",
        held_on=timezone.localdate(),
        summary="询问",
    )
    with CaptureQueriesContext(connection) as many:
        html = client.get(url("case", case)).content.decode()
    assert "c.pdf" in html and "第二十次常委会会议" in html
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_history_lists_case_events(client, case, office_clerk):
    client.force_login(office_clerk)
    html = client.get(url("case", case)).content.decode()
    assert "整改时限开始计算" in html
