"""The demo's 评议意见 and documents (rectification/demo.py): for the finished 2025 review, an
opinion per subject citing the findings, ten approved and issued with consecutive numbers and
rendered PDFs, one awaiting the council, one returned; the 测评结果通报 and the party report
issued (the deadline closed); receipt, delivery and publication shown. Seeding twice changes
nothing."""

import subprocess

import pytest
from django.core.management import call_command
from django.http import Http404

from rectification import demo, demo_cases, documents
from rectification.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Obligation,
    ObligationKind,
    Opinion,
    OpinionClause,
    OpinionStatus,
    OpinionVersion,
    RenderStatus,
)
from rectification.obligations import scan
from reviews.demo import DUTY_2025_TITLE
from reviews.models import Review
from reviews.workflow import Phase
from subjects.models import AuditEvent, User

COUNTED = (Opinion, OpinionClause, OpinionVersion, Document, Obligation, AuditEvent)


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db):
    call_command("seed_demo")
    return Review.objects.get(title=DUTY_2025_TITLE)


def pdf_text(document) -> str:
    with document.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


@pytest.mark.django_db
def test_opinions_for_every_subject_and_numbered_rendered_documents(seeded):
    opinions = {o.subject.display_name: o for o in Opinion.objects.filter(review=seeded)}
    assert len(opinions) == seeded.subjects.count() == 12
    statuses = [o.status for o in opinions.values()]
    # Ten issued on 26 September; 蒋学文's after he explained himself to the council (the
    # 整改 demo, rectification/demo_cases.py).
    assert statuses.count(OpinionStatus.ISSUED) == 11
    assert opinions["蒋学文"].status == OpinionStatus.ISSUED
    assert opinions["蒋学文"].council_session == demo_cases.EXPLANATION_SESSION
    returned = opinions["朱志玉"]
    assert returned.status == OpinionStatus.RETURNED and "请补充" in returned.return_comment
    for opinion in opinions.values():
        # Written by the office on top of the prefilled draft: the subject's own record.
        assert opinion.overall.startswith(f"{opinion.subject.display_name}同志任职以来，")
        assert demo.ACHIEVEMENTS[opinion.subject.display_name] in opinion.overall
        assert "满意度测评结果为" in opinion.overall and "请根据" not in opinion.overall
        assert opinion.version == 2 and opinion.versions.count() == 2
        clauses = list(opinion.clauses.prefetch_related("findings"))
        assert clauses and all(c.findings.exists() for c in clauses)
        assert {f.subject_id for c in clauses for f in c.findings.all()} == {opinion.subject_id}
        assert "1个月内" in opinion.requirements and "3个月内" in opinion.requirements
        if opinion.status == OpinionStatus.ISSUED and opinion.subject.display_name != "蒋学文":
            assert opinion.council_session == demo.COUNCIL_SESSION
            assert opinion.council_date == demo.COUNCIL_DATE

    def clause_text(name):
        return "".join(opinions[name].clauses.values_list("text", flat=True))

    assert "审批事项办理时限超过承诺时限" in clause_text("林国栋")
    assert "审理期限偏长" in clause_text("唐晓燕")  # the court's own words
    assert "认罪认罚案件中的释法说理" in clause_text("戚玉柱")  # the procuratorate's

    # Issued with consecutive numbers, in the order they were signed, every PDF rendered.
    issued = list(
        Document.objects.filter(review=seeded, status=DocumentStatus.ISSUED, year=2025).order_by(
            "number"
        )
    )
    assert len(issued) == 13
    assert [d.number for d in issued] == list(range(1, 14))
    assert {d.year for d in issued} == {2025}
    assert [d.kind for d in issued[:2]] == [DocumentKind.RESULT_NOTICE, DocumentKind.PARTY_REPORT]
    assert {d.kind for d in issued[2:]} == {DocumentKind.OPINION}
    assert not Document.objects.filter(review=seeded, status=DocumentStatus.DRAFT).exists()
    for document in issued:
        assert document.render_status == RenderStatus.DONE, document.render_error
        assert document.pdf and document.pdf_size > 10_000
    notice, report, first_opinion = issued[0], issued[1], issued[2]
    text = pdf_text(notice)
    assert "满意度测评结果的通报" in text and notice.reference in text and "蒋学文" in text
    assert "测评等次" in text and "不满意" in text
    text = pdf_text(report)
    assert "中共示范县委" in text and "三、主要问题" in text
    text = pdf_text(first_opinion)
    assert first_opinion.subject.display_name in text and first_opinion.reference in text


@pytest.mark.django_db
def test_receipt_delivery_publication_deadline_and_a_second_run(seeded):
    opinions = {
        d.subject.display_name: d
        for d in Document.objects.filter(review=seeded, kind=DocumentKind.OPINION)
    }
    acknowledged = [
        d for d in opinions.values() if d.received_by_id is not None and not d.receipt_recorded
    ]
    assert len(acknowledged) == 1
    (mine,) = acknowledged
    assert mine.received_by.username in ("official", "official2")
    assert mine.subject.official.user == mine.received_by
    assert mine.received_on == demo.RECEIVED and not mine.receipt_recorded
    # The official sees it through the permission-checking fetcher; the other official not.
    assert documents.get_document_for_user(mine.received_by, mine.pk) == mine
    (other,) = User.objects.filter(username__in=("official", "official2")).exclude(
        pk=mine.received_by_id
    )
    with pytest.raises(Http404):
        documents.get_document_for_user(other, mine.pk)
    delivered = opinions[demo.DELIVERY_RECORDED]
    assert delivered.receipt_recorded and delivered.received_on == demo.DELIVERED

    published = Document.objects.filter(review=seeded, published_at__isnull=False)
    assert {d.kind for d in published} == {DocumentKind.RESULT_NOTICE, DocumentKind.OPINION}
    public_opinion = published.get(kind=DocumentKind.OPINION)
    assert public_opinion.subject.display_name == demo.PUBLISHED
    hidden = [b for b in public_opinion.body if b.get("internal")]
    assert hidden and len(documents.public_blocks(public_opinion)) == len(
        public_opinion.body
    ) - len(hidden)

    (obligation,) = Obligation.objects.filter(review=seeded, kind=ObligationKind.PARTY_REPORT)
    assert obligation.fulfilled_at is not None
    assert obligation.document.kind == DocumentKind.PARTY_REPORT
    # The review has moved on to 整改 (rectification/demo_cases.py).
    assert Review.objects.get(pk=seeded.pk).phase == Phase.RECTIFY
    # The scan has nothing to remind of but the rectification deadlines.
    scan()
    assert not Obligation.objects.filter(
        review=seeded, fulfilled_at__isnull=True, round__isnull=True
    ).exists()

    # Seeding again changes nothing.
    before = counts()
    call_command("seed_demo")
    assert counts() == before
    # A PDF lost (e.g. the first run was stopped mid-render) is rendered on the next run.
    document = Document.objects.filter(review=seeded, kind=DocumentKind.OPINION).first()
    Document.objects.filter(pk=document.pk).update(
        render_status=RenderStatus.PENDING, render_attempts=0, pdf=""
    )
    call_command("seed_demo")
    document.refresh_from_db()
    assert document.render_status == RenderStatus.DONE and document.pdf
    assert counts() == before
