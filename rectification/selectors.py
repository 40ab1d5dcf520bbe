"""Read queries of the opinion and document pages, each in a constant number of SQL queries
whatever the number of subjects (ARCHITECTURE.md, selectors)."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from reviews.models import Review, Subject
from subjects.models import AuditEvent
from surveys.models import Finding

from .models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Obligation,
    ObligationKind,
    Opinion,
    OpinionStatus,
)

# The short labels of the documents page; "未起草" is a subject without an opinion yet.
STATUS_LABELS = {
    OpinionStatus.DRAFT: "草稿",
    OpinionStatus.SUBMITTED: "待审议",
    OpinionStatus.RETURNED: "已退回",
    OpinionStatus.APPROVED: "已批准",
    OpinionStatus.ISSUED: "已印发",
}
STATUS_BADGES = {
    "": "text-bg-light border",
    OpinionStatus.DRAFT: "text-bg-secondary",
    OpinionStatus.SUBMITTED: "text-bg-warning",
    OpinionStatus.RETURNED: "text-bg-danger",
    OpinionStatus.APPROVED: "text-bg-info",
    OpinionStatus.ISSUED: "text-bg-success",
}
# The kinds the office drafts on the documents page (the others come from rectification).
CREATABLE_KINDS = (DocumentKind.RESULT_NOTICE, DocumentKind.PARTY_REPORT)


@dataclass
class SubjectRow:
    subject: Subject
    opinion: Opinion | None
    document: Document | None

    @property
    def status(self) -> str:
        return self.opinion.status if self.opinion else ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.opinion.status] if self.opinion else "未起草"

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]


def opinion_rows(review: Review) -> list[SubjectRow]:
    """Every subject of the review with its opinion and the opinion's latest issued document:
    two queries (subjects joined to opinions, then the documents)."""
    issued = (
        Document.objects.filter(status=DocumentStatus.ISSUED)
        .select_related("organ")
        .order_by("-source_version")
    )
    subjects = (
        Subject.objects.filter(review=review)
        .select_related("opinion")
        .prefetch_related(Prefetch("opinion__documents", queryset=issued, to_attr="issued"))
        .order_by("form", "order", "id")
    )
    rows = []
    for subject in subjects:
        opinion = getattr(subject, "opinion", None)
        document = None
        if opinion is not None:
            document = opinion.issued[0] if opinion.issued else None
        rows.append(SubjectRow(subject, opinion, document))
    return rows


def other_documents(review: Review) -> QuerySet[Document]:
    """The review's documents that are not opinions (测评结果通报, 评议工作情况报告 …)."""
    return (
        Document.objects.filter(review=review)
        .exclude(kind=DocumentKind.OPINION)
        .select_related("organ")
        .order_by("kind", "-id")
    )


def party_report_obligation(review: Review) -> Obligation | None:
    obligation = (
        Obligation.objects.filter(review=review, kind=ObligationKind.PARTY_REPORT, subject=None)
        .select_related("document", "document__organ")
        .first()
    )
    if obligation is not None:
        obligation.overdue = (
            obligation.fulfilled_at is None and obligation.due_on < timezone.localdate()
        )
    return obligation


def opinion_clauses(opinion: Opinion) -> list:
    """The clauses with their cited findings (and the findings' review, for their codes)."""
    return list(
        opinion.clauses.prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("review"))
        ).order_by("order", "id")
    )


def subject_findings(subject: Subject) -> list[Finding]:
    return list(Finding.objects.filter(subject=subject).select_related("review").order_by("number"))


def history_of(target) -> QuerySet[AuditEvent]:
    """The audit events of one opinion or document, oldest first: its status history."""
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("occurred_at", "id")


def pending_opinions() -> QuerySet[Opinion]:
    """Opinions waiting for the chairpersons' council."""
    return (
        Opinion.objects.filter(status=OpinionStatus.SUBMITTED)
        .select_related("review", "subject")
        .order_by("submitted_at", "id")
    )


def recently_decided_opinions(limit: int = 20) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(
            status__in=(OpinionStatus.APPROVED, OpinionStatus.RETURNED, OpinionStatus.ISSUED),
            decided_at__isnull=False,
        )
        .select_related("review", "subject")
        .order_by("-decided_at", "-id")[:limit]
    )


def issued_opinion_document(subject: Subject) -> Document | None:
    """The latest issued 评议意见 addressed to a subject (the official's portal card)."""
    return (
        Document.objects.filter(
            subject=subject, kind=DocumentKind.OPINION, status=DocumentStatus.ISSUED
        )
        .select_related("organ")
        .order_by("-issued_at", "-id")
        .first()
    )


def published_documents(review: Review) -> QuerySet[Document]:
    """What the public page of a published review lists."""
    if review.published_at is None:
        return Document.objects.none()
    return (
        Document.objects.filter(
            review=review, status=DocumentStatus.ISSUED, published_at__isnull=False
        )
        .select_related("organ", "subject")
        .order_by("kind", "year", "number")
    )


def get_public_document(pk) -> Document | None:
    return (
        Document.objects.filter(
            Q(pk=pk),
            status=DocumentStatus.ISSUED,
            published_at__isnull=False,
            review__published_at__isnull=False,
        )
        .select_related("organ", "review")
        .first()
    )


def has_internal(document: Document) -> bool:
    return any(block.get("internal") for block in document.body)
