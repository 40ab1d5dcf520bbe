"""The opinion services end to end: prefilled draft, optimistic locking, approval, issuing with
a number and a rendered PDF, receipt."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rectification import documents, opinions
from rectification.models import Document, OpinionStatus, OpinionVersion, RenderStatus
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


def clauses_of(opinion):
    return [
        {"text": c.text, "internal": c.internal, "findings": [f.pk for f in c.findings.all()]}
        for c in opinion.clauses.all()
    ]


@pytest.mark.django_db
def test_draft_is_prefilled_from_results_findings_and_inquiries(world, office_clerk):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    assert opinion.title.startswith("关于对") and "王堃喆同志" in opinion.title
    assert "第二十三次会议" in opinion.opening
    assert "满意度测评结果为" in opinion.overall
    assert "询问1次" in opinion.overall and "1项承诺会后书面答复" in opinion.overall
    clauses = list(opinion.clauses.all())
    assert [c.text.split("。")[0] for c in clauses] == [
        "依法行政方面存在不足",
        "办理代表建议方面存在不足",
    ]
    assert {f.pk for f in clauses[0].findings.all()} == {world.findings[0].pk, world.findings[1].pk}
    assert "1个月内" in opinion.requirements and "3个月内" in opinion.requirements
    assert OpinionVersion.objects.filter(opinion=opinion, number=1).exists()
    # Opening again returns the same draft.
    assert opinions.open_opinion(actor=office_clerk, subject=world.subjects[0]).pk == opinion.pk


@pytest.mark.django_db
def test_a_stale_save_is_refused_not_overwritten(world, office_clerk, chair):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    fields = {
        "title": opinion.title,
        "opening": opinion.opening,
        "overall": "第一位编辑的评价。",
        "overall_internal": False,
        "requirements": opinion.requirements,
        "clauses": clauses_of(opinion),
    }
    opinions.save_opinion(actor=office_clerk, opinion=opinion, version=1, **fields)
    with pytest.raises(opinions.Conflict):
        opinions.save_opinion(
            actor=office_clerk, opinion=opinion, version=1, **{**fields, "overall": "覆盖"}
        )
    opinion.refresh_from_db()
    assert opinion.overall == "第一位编辑的评价。" and opinion.version == 2


@pytest.mark.django_db
def test_issue_needs_approval_then_numbers_and_renders(world, office_clerk, chair, official_a):
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.subjects[0])
    with pytest.raises(ValidationError):
        opinions.issue_opinion(actor=office_clerk, opinion=opinion)
    opinions.submit(actor=office_clerk, opinion=opinion)
    opinions.approve(
        actor=chair, opinion=opinion, session="第三十二次主任会议", on=timezone.localdate()
    )
    document = opinions.issue_opinion(actor=office_clerk, opinion=opinion)
    assert document.number == 1 and document.reference.endswith(f"〔{document.year}〕1号")
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.ISSUED
    assert documents.render_document(document.pk) is True
    document.refresh_from_db()
    assert document.render_status == RenderStatus.DONE and document.pdf_size > 10_000
    assert document.pdf.open("rb").read(5) == b"%PDF-"
    # A second render (a redelivered task) stores nothing more.
    assert documents.render_document(document.pk) is False
    assert Document.objects.filter(opinion=opinion).count() == 1
    documents.acknowledge(actor=official_a, document=document)
    document.refresh_from_db()
    assert document.received_on == timezone.localdate() and document.received_by == official_a
