"""The rectification case's services (rectification/cases.py): the clock opened by the
opinion's receipt, the plan and report reviews, and who may act."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rectification import cases, deadlines, documents
from rectification.models import (
    CaseStatus,
    Holiday,
    ItemStatus,
    Obligation,
    ObligationKind,
    RectificationCase,
    ReviewStatus,
)
from subjects.files import in_memory
from subjects.models import AuditEvent
from tests.rectification.test_views_office import issued_document
from tests.rectification.world import build_opinion_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pdf_upload():
    import weasyprint

    data = weasyprint.HTML(string="<p>整改落实情况报告</p>").write_pdf()
    return lambda: in_memory(data, "整改报告.pdf")


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_user=official_a)


@pytest.fixture
def document(world, office_clerk, chair):
    issued = issued_document(world, office_clerk, chair)
    # Signed ten days ago, so a delivery date in the past week is plausible.
    issued.__class__.objects.filter(pk=issued.pk).update(
        signed_on=timezone.localdate() - timedelta(days=10)
    )
    issued.refresh_from_db()
    return issued


def _case(document):
    return RectificationCase.objects.get(subject=document.subject)


def _due(case, kind):
    return Obligation.objects.get(round__case=case, kind=kind).due_on


def test_acknowledging_opens_the_case_with_both_deadlines(document, official_a):
    documents.acknowledge(actor=official_a, document=document)
    case = _case(document)
    today = timezone.localdate()
    assert case.received_on == today and case.status == CaseStatus.OPEN
    assert _due(case, ObligationKind.PLAN) == deadlines.due_after(today, 1)
    assert _due(case, ObligationKind.REPORT) == deadlines.due_after(today, 3)
    # One item per clause of the opinion, in order, and a report row per item for round 1.
    clauses = list(case.opinion.clauses.order_by("order"))
    assert [i.problem for i in case.items.order_by("order")] == [c.text for c in clauses]
    assert case.rounds.get().report.progress.count() == len(clauses)
    assert AuditEvent.objects.filter(action="case.opened", review_id=case.review_id).exists()


def test_a_period_ending_on_a_holiday_ends_on_the_next_working_day(document, office_clerk):
    received = timezone.localdate() - timedelta(days=3)
    natural = deadlines.add_months(received, 1)
    # Make the natural last day and the two after it rest days; the day after is a 调休 Saturday.
    for offset in range(3):
        Holiday.objects.create(day=natural + timedelta(days=offset), name="测试假日")
    worked = natural + timedelta(days=3)
    Holiday.objects.create(day=worked, name="调休上班", is_workday=True)
    documents.record_delivery(actor=office_clerk, document=document, delivered_on=received)
    assert _due(_case(document), ObligationKind.PLAN) == worked


def test_a_corrected_delivery_date_moves_the_clock_and_a_late_signature_does_not(
    document, office_clerk, official_a
):
    today = timezone.localdate()
    documents.record_delivery(actor=office_clerk, document=document, delivered_on=today)
    earlier = today - timedelta(days=5)
    documents.record_delivery(actor=office_clerk, document=document, delivered_on=earlier)
    case = _case(document)
    assert case.received_on == earlier
    assert _due(case, ObligationKind.PLAN) == deadlines.due_after(earlier, 1)
    assert AuditEvent.objects.filter(action="case.received_on_corrected").count() == 1
    # The official signs later: the delivery the office recorded still starts the clock.
    documents.acknowledge(actor=official_a, document=document)
    assert _case(document).received_on == earlier


def _fill_plan(case, actor, **overrides):
    items = {
        item.pk: {
            "measures": f"措施{item.order}",
            "responsible": "张三",
            "due_on": timezone.localdate() + timedelta(days=30),
            "standard": "问题整改到位",
        }
        for item in case.items.all()
    }
    first = min(items)
    items[first].update(overrides)
    return cases.save_plan(actor=actor, case=case, summary="总体安排", items=items)


def test_the_plan_needs_its_four_fixes_and_a_return_reopens_the_deadline(
    document, official_a, office_clerk
):
    documents.acknowledge(actor=official_a, document=document)
    case = _case(document)
    _fill_plan(case, official_a, responsible="", standard="")
    with pytest.raises(ValidationError) as refused:
        cases.submit_plan(actor=official_a, case=case)
    assert "第1项缺少责任人、完成标准" in " ".join(refused.value.messages)
    _fill_plan(case, official_a)
    cases.submit_plan(actor=official_a, case=case)
    plan_obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.PLAN)
    due = plan_obligation.due_on
    assert plan_obligation.fulfilled_at is not None

    with pytest.raises(ValidationError):
        cases.return_plan(actor=office_clerk, case=case, comment="  ")
    cases.return_plan(actor=office_clerk, case=case, comment="措施不够具体")
    plan_obligation.refresh_from_db()
    assert plan_obligation.fulfilled_at is None and plan_obligation.due_on == due
    assert case.plan.__class__.objects.get(case=case).status == ReviewStatus.RETURNED

    cases.submit_plan(actor=official_a, case=case)
    cases.accept_plan(actor=office_clerk, case=case)
    plan = case.plan.__class__.objects.get(case=case)
    assert plan.status == ReviewStatus.ACCEPTED and plan.submissions == 2
    with pytest.raises(ValidationError):
        _fill_plan(case, official_a)  # an accepted plan is no longer edited


def test_only_the_subjects_own_people_edit_the_case(document, official_a, official_b):
    documents.acknowledge(actor=official_a, document=document)
    case = _case(document)
    with pytest.raises(PermissionDenied):
        _fill_plan(case, official_b)
    with pytest.raises(PermissionDenied):
        cases.submit_plan(actor=official_b, case=case)


def test_the_report_needs_its_document_and_every_explanation(
    document, official_a, office_clerk, pdf_upload
):
    documents.acknowledge(actor=official_a, document=document)
    case = _case(document)
    items = list(case.items.order_by("order"))
    progress = {item.pk: {"status": ItemStatus.DONE, "explanation": ""} for item in items}
    cases.save_report(actor=official_a, case=case, summary="", progress=progress)
    with pytest.raises(ValidationError) as refused:
        cases.submit_report(actor=official_a, case=case)
    text = " ".join(refused.value.messages)
    assert "正式文本" in text and "总体情况" in text and "第1项缺少情况说明" in text
    for row in progress.values():
        row["explanation"] = "已完成整改"
    cases.save_report(
        actor=official_a, case=case, summary="全部完成", progress=progress, file=pdf_upload()
    )
    cases.submit_report(actor=official_a, case=case)
    cases.accept_report(actor=office_clerk, case=case)
    assert [r.case_id for r in cases.rounds_ready_for_vote(case.review)] == [case.pk]
    with pytest.raises(ValidationError):
        cases.order_continue(
            actor=office_clerk,
            case=case,
            council_session="第5次主任会议",
            council_date=timezone.localdate(),
        )


def test_moving_a_deadline_is_a_reasoned_audited_decision(document, official_a, office_clerk):
    documents.acknowledge(actor=official_a, document=document)
    case = _case(document)
    obligation = Obligation.objects.get(round__case=case, kind=ObligationKind.REPORT)
    target = deadlines.next_workday(obligation.due_on + timedelta(days=20), {})
    with pytest.raises(ValidationError):
        cases.move_deadline(actor=office_clerk, obligation=obligation, due_on=target, reason="")
    saturday = target + timedelta(days=(5 - target.weekday()) % 7)
    with pytest.raises(ValidationError) as refused:
        cases.move_deadline(
            actor=office_clerk, obligation=obligation, due_on=saturday, reason="主任会议同意"
        )
    assert "不是工作日" in str(refused.value)
    cases.move_deadline(
        actor=office_clerk, obligation=obligation, due_on=target, reason="第6次主任会议同意延期"
    )
    obligation.refresh_from_db()
    assert obligation.due_on == target
    event = AuditEvent.objects.get(action="deadline.moved")
    assert event.data["to"] == target.isoformat() and "主任会议" in event.summary


def test_deadline_arithmetic_month_ends_leap_years_and_rest_days():
    assert deadlines.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert deadlines.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert deadlines.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert deadlines.add_months(date(2026, 8, 31), 1) == date(2026, 9, 30)
    # 2026-10-01 is a Thursday; a National Day week of rest, then a 调休 Saturday.
    calendar = {date(2026, 10, d): False for d in range(1, 8)}
    calendar[date(2026, 10, 10)] = True
    assert deadlines.period_end(date(2026, 9, 1), 1, calendar) == date(2026, 10, 8)
    assert deadlines.next_workday(date(2026, 10, 10), calendar) == date(2026, 10, 10)
    assert deadlines.next_workday(date(2026, 10, 11), calendar) == date(2026, 10, 12)
