"""The 整改台账: rows, filters, progress, the Excel workbook, its publication on the public
page (never an internal clause) and the review page's card; constant query counts."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from rectification import cases, ledger
from rectification.models import (
    CaseStatus,
    ItemStatus,
    LedgerPublication,
    Obligation,
    ObligationKind,
    OpinionClause,
    RectificationCase,
    RectificationRound,
)
from reviews.models import Review
from reviews.workflow import Phase
from subjects.models import AuditEvent
from surveys.models import Finding, FindingCategory, FindingSource
from tests.rectification.test_case_office import fill_plan, fill_report, open_case_for
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    world = build_opinion_world(office_clerk, official_a)
    Review.objects.filter(pk=world.review.pk).update(phase=Phase.RECTIFY)
    world.review.refresh_from_db()
    return world


@pytest.fixture
def case(world, office_clerk, chair, official_a):
    return open_case_for(world, office_clerk, chair, official_a)


def other_case(world, office, council, official, index, category=FindingCategory.DUTY):
    """Open the case of another subject, whose opinion gets a clause from one finding."""
    subject = world.subjects[index]
    Finding.objects.create(
        review=world.review,
        subject=subject,
        number=10 + index,
        category=category,
        description=f"问题{index}",
        source=FindingSource.FORUM,
        created_by=office,
    )
    return open_case_for(world, office, council, official, subject)


@pytest.fixture
def two_cases(world, case, office_clerk, chair, official_a):
    return case, other_case(world, office_clerk, chair, official_a, 1)


def ledger_url(review, name="ledger"):
    return reverse(f"rectification:{name}", args=[review.pk])


# --- rows and progress -----------------------------------------------------------------------


def test_rows_follow_items_and_reports(case, office_clerk, official_a):
    rows = ledger.ledger_rows(case.review)
    assert len(rows) == case.items.count() > 1
    assert all(r.status == "" for r in rows)  # no report yet
    assert rows[0].categories  # from the clause's findings
    assert rows[0].plan_due and rows[0].report_due
    fill_plan(case, official_a)
    statuses = [ItemStatus.DONE] + [ItemStatus.ONGOING] * (len(rows) - 1)
    fill_report(case, official_a, statuses, submit=False)
    # A draft report says nothing yet.
    assert all(r.status == "" for r in ledger.ledger_rows(case.review))
    cases.submit_report(actor=official_a, case=case)
    rows = ledger.ledger_rows(case.review)
    assert [r.status for r in rows] == statuses
    assert rows[0].measures == "措施1" and rows[0].responsible == "张三"
    summary = ledger.progress(case.review)
    assert summary.cases_total == 1 and summary.cases_closed == 0
    assert summary.done == 1 and summary.items == len(rows)
    assert summary.subjects[0].share == round(100 / len(rows))
    assert summary.subjects[0].status_label == "整改中"


def test_closed_and_continued_labels(two_cases):
    first, second = two_cases
    RectificationCase.objects.filter(pk=first.pk).update(status=CaseStatus.CLOSED)
    round_ = cases.current_round(second)
    RectificationRound.objects.create(case=second, number=2, started_on=round_.started_on)
    labels = {s.subject.pk: s.status_label for s in ledger.progress(first.review).subjects}
    assert labels == {first.subject_id: "已办结", second.subject_id: "继续整改第2轮"}
    summary = ledger.progress(first.review)
    assert (summary.cases_closed, summary.cases_total) == (1, 2)


def test_filters(two_cases, office_clerk, official_a):
    first, second = two_cases
    review = first.review
    everything = ledger.ledger_rows(review)
    assert {r.subject.pk for r in everything} == {first.subject_id, second.subject_id}
    only_first = ledger.ledger_rows(review, subject=first.subject_id)
    assert only_first and {r.subject.pk for r in only_first} == {first.subject_id}
    fill_plan(first, official_a)
    fill_report(first, official_a, [ItemStatus.DONE] * first.items.count())
    done = ledger.ledger_rows(review, status=ItemStatus.DONE)
    assert {r.case.pk for r in done} == {first.pk}
    none = ledger.ledger_rows(review, status=ledger.NOT_REPORTED)
    assert {r.case.pk for r in none} == {second.pk}
    # Overdue: the second case's plan obligation is past its date and open.
    Obligation.objects.filter(round__case=second, kind=ObligationKind.PLAN).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    overdue = ledger.ledger_rows(review, overdue=True)
    assert overdue and {r.case.pk for r in overdue} == {second.pk}
    assert all(r.plan_overdue and not r.report_overdue for r in overdue)
    # Categories come from the findings the clause cites.
    law = ledger.ledger_rows(review, category=FindingCategory.LAW)
    assert law and all(FindingCategory.LAW in r.categories for r in law)
    assert not ledger.ledger_rows(review, category=FindingCategory.INTEGRITY)


def test_fulfilled_obligation_is_not_overdue(case, official_a):
    Obligation.objects.filter(round__case=case, kind=ObligationKind.PLAN).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    assert all(r.plan_overdue for r in ledger.ledger_rows(case.review))
    fill_plan(case, official_a)
    assert not any(r.plan_overdue for r in ledger.ledger_rows(case.review))


def test_constant_queries(world, case, office_clerk, chair, official_a):
    with CaptureQueriesContext(connection) as one:
        ledger.ledger_rows(world.review)
        ledger.progress(world.review)
    other_case(world, office_clerk, chair, official_a, 1)
    other_case(world, office_clerk, chair, official_a, 2)
    fill_plan(case, official_a)
    fill_report(case, official_a)
    with CaptureQueriesContext(connection) as three:
        rows = ledger.ledger_rows(world.review)
        ledger.progress(world.review)
    assert len({r.case.pk for r in rows}) == 3
    assert len(three.captured_queries) <= len(one.captured_queries)


# --- the page --------------------------------------------------------------------------------


def test_ledger_access(client, case, personas):
    for name, user in personas.items():
        client.force_login(user)
        expected = 200 if name in ("office", "council") else 403
        assert client.get(ledger_url(case.review)).status_code == expected, name
        assert client.get(ledger_url(case.review, "ledger_xlsx")).status_code == expected, name
        if name != "office":
            assert client.post(ledger_url(case.review, "ledger_publish")).status_code == 403
            assert client.post(ledger_url(case.review, "ledger_unpublish")).status_code == 403
    assert not LedgerPublication.objects.exists()


def test_ledger_page_shows_rows_and_filters(client, two_cases, office_clerk, chair):
    first, second = two_cases
    client.force_login(chair)
    html = client.get(ledger_url(first.review)).content.decode()
    assert first.subject.display_name in html and second.subject.display_name in html
    assert reverse("rectification:case", args=[first.pk]) in html
    assert "公开整改情况" not in html  # the council does not publish
    client.force_login(office_clerk)
    html = client.get(
        ledger_url(first.review), {"subject": second.subject_id, "status": "none"}
    ).content.decode()
    assert reverse("rectification:case", args=[second.pk]) in html
    assert reverse("rectification:case", args=[first.pk]) not in html.split("rows-heading")[1]
    # A bad filter value is ignored rather than an error.
    assert client.get(ledger_url(first.review), {"status": "bogus"}).status_code == 200


def test_ledger_page_query_count(
    client, world, two_cases, office_clerk, chair, official_a, django_assert_max_num_queries
):
    other_case(world, office_clerk, chair, official_a, 2)
    client.force_login(office_clerk)
    with django_assert_max_num_queries(25):
        assert client.get(ledger_url(world.review)).status_code == 200


# --- the workbook ----------------------------------------------------------------------------


def test_workbook(client, case, office_clerk, official_a):
    fill_plan(case, official_a)
    fill_report(case, official_a)
    client.force_login(office_clerk)
    response = client.get(ledger_url(case.review, "ledger_xlsx"))
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["整改台账", "进度汇总"]
    sheet = book["整改台账"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["评议对象", "单位及职务", "轮次", "序号", "存在的问题"]
    assert "整改措施" in header and "报告逾期" in header
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == case.items.count()
    first = dict(zip(header, body[0], strict=True))
    assert first["评议对象"] == "王堃喆"
    assert first["整改措施"] == "措施1"
    assert first["完成情况"] == "已完成"
    assert first["问题类别"]
    totals = list(book["进度汇总"].iter_rows(min_row=2, values_only=True))
    assert totals[0][0] == "王堃喆" and totals[0][5] == 1
    assert totals[-1][0] == "合计"


def test_workbook_of_empty_review(world):
    book = load_workbook(BytesIO(ledger.ledger_workbook(world.review)))
    assert book["整改台账"].max_row == 1
    assert [c.value for c in book["进度汇总"]["A"]][-1] == "合计"


# --- publication -----------------------------------------------------------------------------


def test_publish_and_public_block(client, case, office_clerk):
    review = case.review
    Review.objects.filter(pk=review.pk).update(published_at=timezone.now())
    items = list(case.items.select_related("clause").order_by("order"))
    secret = items[0]
    OpinionClause.objects.filter(pk=secret.clause_id).update(internal=True)
    public = reverse("reviews:public_review", args=[review.pk])
    assert "整改情况" not in client.get(public).content.decode()
    client.force_login(office_clerk)
    response = client.post(ledger_url(review, "ledger_publish"))
    assert response.status_code == 302
    assert LedgerPublication.objects.filter(review=review).exists()
    assert AuditEvent.objects.filter(action="ledger.published", review_id=review.pk).exists()
    client.logout()
    html = client.get(public).content.decode()
    assert "整改情况" in html and "整改中" in html
    assert secret.problem[:20] not in html
    assert items[1].problem[:20] in html
    client.force_login(office_clerk)
    assert client.post(ledger_url(review, "ledger_unpublish")).status_code == 302
    assert AuditEvent.objects.filter(action="ledger.unpublished").exists()
    client.logout()
    assert "整改情况" not in client.get(public).content.decode()


def test_publish_refusals(client, case, office_clerk):
    client.force_login(office_clerk)
    response = client.post(ledger_url(case.review, "ledger_publish"), follow=True)
    assert "尚未向社会公示" in response.content.decode()
    Review.objects.filter(pk=case.review_id).update(
        published_at=timezone.now(), phase=Phase.MEETING
    )
    response = client.post(ledger_url(case.review, "ledger_publish"), follow=True)
    assert "整改" in response.content.decode()
    assert not LedgerPublication.objects.exists()
    response = client.post(ledger_url(case.review, "ledger_unpublish"), follow=True)
    assert "尚未公开" in response.content.decode()


def test_review_page_card(client, case, office_clerk, chair):
    detail = reverse("reviews:detail", args=[case.review_id])
    client.force_login(office_clerk)
    html = client.get(detail).content.decode()
    assert ledger_url(case.review) in html
    client.force_login(chair)
    assert ledger_url(case.review) not in client.get(detail).content.decode()
    Review.objects.filter(pk=case.review_id).update(phase=Phase.MEETING)
    client.force_login(office_clerk)
    assert ledger_url(case.review) not in client.get(detail).content.decode()
