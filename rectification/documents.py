"""Official documents: drafting, numbering, issuing, rendering, delivery and publication.

    document = issue_document(actor=clerk, document=draft)   # number + PDF task after commit

Numbers (发文字号) come from `DocumentSequence`, locked in the transaction that issues the
document: two clerks issuing at once get consecutive numbers, and a rolled-back issue leaves no
gap. Rendering runs in the worker (R16 time limit, R17 after commit, R20 attempt bound) and
fills the PDF of an existing row, so a redelivered task never makes a second document.
"""

import logging
import re
from datetime import date

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from reviews.models import Review, Subject
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from subjects.roles import Role, has_role

from .models import (
    Document,
    DocumentKind,
    DocumentSequence,
    DocumentStatus,
    IssuingOrgan,
    RenderStatus,
)
from .wording import date_cn

logger = logging.getLogger(__name__)

register_actions(
    {
        "document.created": "起草公文",
        "document.saved": "修改公文",
        "document.issued": "印发公文",
        "document.render_retried": "重新生成公文文件",
        "document.acknowledged": "签收公文",
        "document.delivery_recorded": "登记送达",
        "document.published": "公开公文",
        "document.unpublished": "撤回公开",
        "organ.saved": "修改发文机关",
    }
)

# A document whose rendering failed this often stops being retried (R20: a poison task must
# not loop for ever); the office sees the error and can retry by hand.
MAX_RENDER_ATTEMPTS = 3
RENDER_TASK = "rectification.tasks.render_document"
DRAFT_PHASES = (Phase.MEETING, Phase.RECTIFY)


# --- organs and numbers -----------------------------------------------------------------------


def _organ_defaults() -> dict:
    short = settings.PINGYI_ORGAN_NAME
    full = short.replace("人大常委会", "人民代表大会常务委员会")
    return {
        "name": full,
        "header": f"{full}文件",
        "code": f"{short[:1]}人常发",
        "signature": short,
        "printer": f"{short}办公室",
    }


def default_organ() -> IssuingOrgan:
    """The default issuing organ, created from PINGYI_ORGAN_NAME on first use."""
    organ = IssuingOrgan.objects.filter(is_default=True).first()
    if organ is not None:
        return organ
    try:
        with transaction.atomic():
            return IssuingOrgan.objects.create(is_default=True, **_organ_defaults())
    except IntegrityError:  # created concurrently
        return IssuingOrgan.objects.get(is_default=True)


def allocate_number(organ: IssuingOrgan, year: int) -> int:
    """The next number of `organ` in `year`. Must run inside the transaction that issues the
    document: the sequence row stays locked until it commits, so numbers have no gaps."""
    DocumentSequence.objects.get_or_create(organ=organ, year=year)
    sequence = DocumentSequence.objects.select_for_update().get(organ=organ, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


@transaction.atomic
def save_organ(*, actor, organ: IssuingOrgan | None, **fields) -> IssuingOrgan:
    if organ is None:
        organ = IssuingOrgan()
    for name, value in fields.items():
        setattr(organ, name, value)
    if organ.is_default:
        IssuingOrgan.objects.exclude(pk=organ.pk).filter(is_default=True).update(is_default=False)
    organ.save()
    record(actor=actor, action="organ.saved", target=organ, summary=f"修改发文机关：{organ.name}")
    return organ


# --- body text ---------------------------------------------------------------------------------

HEADING = re.compile(r"^[一二三四五六七八九十]+、")
SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）")
TABLE_MARK = "【表格】"


def blocks_from_text(text: str, *, tables: list[dict] | None = None) -> list[dict]:
    """Paragraphs from plain text, one per line: "一、…" lines are headings (黑体), "（一）…"
    lines subheadings (楷体); a line 【表格】 keeps the next table of the previous body."""
    tables = list(tables or [])
    blocks = []
    for line in (raw.strip() for raw in text.replace("\r\n", "\n").split("\n")):
        if not line:
            continue
        if line == TABLE_MARK:
            if tables:
                blocks.append(tables.pop(0))
            continue
        if HEADING.match(line):
            blocks.append({"kind": "heading", "text": line})
        elif SUBHEADING.match(line) and len(line) <= 40:
            blocks.append({"kind": "subheading", "text": line})
        else:
            blocks.append({"kind": "paragraph", "text": line})
    return blocks


def text_from_blocks(blocks: list[dict]) -> str:
    lines = []
    for block in blocks:
        if block.get("kind") == "table":
            lines.append(TABLE_MARK)
        elif block.get("kind") == "clause":
            lines.append(block.get("text", ""))
        else:
            lines.append(block.get("text", ""))
    return "\n".join(lines)


def public_blocks(document: Document) -> list[dict]:
    """The body as the public page shows it: without what the office marked internal."""
    return [block for block in document.body if not block.get("internal")]


def clause_parts(text: str) -> tuple[str, str]:
    """A clause's first sentence is its 小标题 (楷体), the rest is body text."""
    head, sep, rest = text.partition("。")
    if sep and rest.strip():
        return head + sep, rest.strip()
    return text, ""


def display_blocks(blocks: list[dict]) -> list[dict]:
    """Blocks ready to show, on a page or in the PDF alike: clauses numbered （一）（二）…
    with their first sentence as a lead."""
    out = []
    number = 0
    for block in blocks:
        block = dict(block)
        if block.get("kind") == "clause":
            number += 1
            block["number"] = number
            block["lead"], block["rest"] = clause_parts(block.get("text", ""))
        out.append(block)
    return out


# --- fetchers -----------------------------------------------------------------------------------


def get_document_for_user(user, pk) -> Document:
    """The office sees every document; the chairpersons' council every issued one; an official
    only the issued documents addressed to their own subject. Anything else is a 404 (R10)."""
    documents = Document.objects.select_related("organ", "review", "subject")
    if has_role(user, Role.OFFICE):
        pass
    elif has_role(user, Role.COUNCIL):
        documents = documents.filter(status=DocumentStatus.ISSUED)
    elif has_role(user, Role.OFFICIAL):
        documents = documents.filter(
            Q(subject__official__user=user) | Q(subject__unit__contacts=user),
            status=DocumentStatus.ISSUED,
        ).distinct()
    else:
        raise Http404
    document = documents.filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


# --- drafting -----------------------------------------------------------------------------------


def _lock(document: Document) -> Document:
    return Document.objects.select_for_update().select_related("organ").get(pk=document.pk)


def require_draft_phase(review: Review) -> None:
    if review.phase not in DRAFT_PHASES:
        raise ValidationError(
            f"评议活动处于“{review.get_phase_display()}”阶段，不能起草或印发公文。"
        )


@transaction.atomic
def create_document(
    *,
    actor,
    review: Review,
    kind: str,
    title: str,
    body: list[dict],
    subject: Subject | None = None,
    recipients: str = "",
    cc: str = "",
    organ: IssuingOrgan | None = None,
) -> Document:
    require_draft_phase(review)
    document = Document.objects.create(
        review=review,
        kind=kind,
        subject=subject,
        organ=organ or default_organ(),
        title=title,
        recipients=recipients,
        cc=cc,
        body=body,
        created_by=actor,
    )
    record(
        actor=actor,
        action="document.created",
        target=document,
        summary=f"起草{document.get_kind_display()}：{_plain(title)}",
        data={"review": review.pk, "kind": kind},
    )
    return document


@transaction.atomic
def save_document(
    *,
    actor,
    document: Document,
    title: str,
    recipients: str,
    cc: str,
    signed_on: date | None,
    body_text: str,
    organ: IssuingOrgan | None = None,
) -> Document:
    document = _lock(document)
    if document.status != DocumentStatus.DRAFT:
        raise ValidationError("公文已印发，不能再修改。")
    tables = [block for block in document.body if block.get("kind") == "table"]
    document.title = title
    document.recipients = recipients
    document.cc = cc
    document.signed_on = signed_on
    document.body = blocks_from_text(body_text, tables=tables)
    if organ is not None:
        document.organ = organ
    document.save(update_fields=["title", "recipients", "cc", "signed_on", "body", "organ"])
    record(
        actor=actor,
        action="document.saved",
        target=document,
        summary=f"修改{document.get_kind_display()}：{_plain(title)}",
    )
    return document


def _plain(title: str) -> str:
    return title.replace("\n", "")


# --- issuing ------------------------------------------------------------------------------------


def enqueue_render(document_id: int) -> None:
    transaction.on_commit(lambda: current_app.send_task(RENDER_TASK, args=[document_id]))


def issue_locked(*, actor, document: Document, signed_on: date | None = None) -> Document:
    """Number and issue a locked draft (callers hold the row lock and the transaction)."""
    if document.status != DocumentStatus.DRAFT:
        raise ValidationError("公文已经印发。")
    if not document.title.strip():
        raise ValidationError("请填写公文标题。")
    if not document.body:
        raise ValidationError("公文正文为空，不能印发。")
    document.signed_on = signed_on or document.signed_on or timezone.localdate()
    document.year = document.signed_on.year
    document.number = allocate_number(document.organ, document.year)
    document.status = DocumentStatus.ISSUED
    document.issued_at = timezone.now()
    document.issued_by = actor
    document.render_status = RenderStatus.PENDING
    document.render_attempts = 0
    document.save(
        update_fields=[
            "signed_on",
            "year",
            "number",
            "status",
            "issued_at",
            "issued_by",
            "render_status",
            "render_attempts",
        ]
    )
    record(
        actor=actor,
        action="document.issued",
        target=document,
        summary=f"印发{document.get_kind_display()} {document.reference}：{_plain(document.title)}",
        data={"reference": document.reference, "organ": document.organ_id},
    )
    return document


@transaction.atomic
def issue_document(*, actor, document: Document, signed_on: date | None = None) -> Document:
    document = _lock(document)
    require_draft_phase(document.review)
    if document.kind == DocumentKind.OPINION:
        raise ValidationError("评议意见须经主任会议批准后在评议意见页面印发。")
    document = issue_locked(actor=actor, document=document, signed_on=signed_on)
    if document.kind == DocumentKind.PARTY_REPORT:
        from .models import ObligationKind
        from .obligations import fulfil

        fulfil(review=document.review, kind=ObligationKind.PARTY_REPORT, document=document)
    enqueue_render(document.pk)
    return document


# --- rendering (the worker) ---------------------------------------------------------------------


def claim_render(document_id: int) -> Document | None:
    """Claim a document for rendering: a conditional UPDATE that also counts the attempt, so
    a task killed mid-render and redelivered tries again, but only up to the bound."""
    claimed = Document.objects.filter(
        pk=document_id,
        status=DocumentStatus.ISSUED,
        render_status__in=(RenderStatus.PENDING, RenderStatus.RENDERING),
        render_attempts__lt=MAX_RENDER_ATTEMPTS,
    ).update(render_status=RenderStatus.RENDERING, render_attempts=F("render_attempts") + 1)
    if not claimed:
        Document.objects.filter(
            pk=document_id,
            render_status__in=(RenderStatus.PENDING, RenderStatus.RENDERING),
            render_attempts__gte=MAX_RENDER_ATTEMPTS,
        ).update(
            render_status=RenderStatus.FAILED, render_error="多次生成失败，请重试或联系管理员。"
        )
        return None
    return Document.objects.select_related("organ").get(pk=document_id)


def render_document(document_id: int) -> bool:
    """Render and store the PDF of an issued document; True when this call stored it."""
    from . import pdf

    document = claim_render(document_id)
    if document is None:
        return False
    try:
        data = pdf.render(document)
    except Exception as error:
        logger.exception("rendering document %s failed", document_id)
        Document.objects.filter(pk=document_id, render_status=RenderStatus.RENDERING).update(
            render_status=RenderStatus.PENDING
            if document.render_attempts < MAX_RENDER_ATTEMPTS
            else RenderStatus.FAILED,
            render_error=f"生成失败：{type(error).__name__}"[:300],
        )
        raise
    name = f"{document.reference or document.pk}.pdf"
    document.pdf.save(name, ContentFile(data), save=False)
    stored = Document.objects.filter(pk=document_id, render_status=RenderStatus.RENDERING).update(
        pdf=document.pdf.name,
        pdf_size=len(data),
        render_status=RenderStatus.DONE,
        render_error="",
        rendered_at=timezone.now(),
    )
    if not stored:  # another attempt finished first; keep its file
        document.pdf.storage.delete(document.pdf.name)
    return bool(stored)


@transaction.atomic
def retry_render(*, actor, document: Document) -> Document:
    document = _lock(document)
    if document.status != DocumentStatus.ISSUED:
        raise ValidationError("只有已印发的公文才生成正式文件。")
    if document.render_status == RenderStatus.DONE:
        raise ValidationError("文件已生成。")
    document.render_status = RenderStatus.PENDING
    document.render_attempts = 0
    document.render_error = ""
    document.save(update_fields=["render_status", "render_attempts", "render_error"])
    record(
        actor=actor,
        action="document.render_retried",
        target=document,
        summary=f"重新生成公文文件：{document.reference}",
    )
    enqueue_render(document.pk)
    return document


# --- delivery and publication -------------------------------------------------------------------


def _require_issued(document: Document) -> None:
    if document.status != DocumentStatus.ISSUED:
        raise ValidationError("公文尚未印发。")


@transaction.atomic
def acknowledge(*, actor, document: Document) -> Document:
    """The official's 签收: the receipt date starts the rectification clock."""
    document = _lock(document)
    _require_issued(document)
    if document.subject_id is None:
        raise PermissionDenied
    if document.received_on is not None and not document.receipt_recorded:
        raise ValidationError(f"已于{date_cn(document.received_on)}签收。")
    document.received_on = timezone.localdate()
    document.received_by = actor
    document.receipt_recorded = False
    document.save(update_fields=["received_on", "received_by", "receipt_recorded"])
    record(
        actor=actor,
        action="document.acknowledged",
        target=document,
        summary=f"签收{document.get_kind_display()} {document.reference}",
        data={"received_on": document.received_on.isoformat()},
    )
    _start_clock(actor, document)
    return document


def _start_clock(actor, document: Document) -> None:
    """The receipt of an opinion opens the subject's rectification case (issue 7)."""
    from .cases import open_case

    open_case(actor=actor, document=document)


@transaction.atomic
def record_delivery(*, actor, document: Document, delivered_on: date) -> Document:
    """The office records a delivery date when the official has not acknowledged."""
    document = _lock(document)
    _require_issued(document)
    if document.received_on is not None and not document.receipt_recorded:
        raise ValidationError("对方已签收，签收日期不能再由办公室登记。")
    if delivered_on > timezone.localdate():
        raise ValidationError("送达日期不能晚于今天。")
    if document.signed_on and delivered_on < document.signed_on:
        raise ValidationError("送达日期不能早于成文日期。")
    previous = document.received_on
    document.received_on = delivered_on
    document.received_by = None
    document.receipt_recorded = True
    document.save(update_fields=["received_on", "received_by", "receipt_recorded"])
    record(
        actor=actor,
        action="document.delivery_recorded",
        target=document,
        summary=f"登记送达 {document.reference}：{delivered_on:%Y-%m-%d}",
        data={
            "delivered_on": delivered_on.isoformat(),
            "previous": previous.isoformat() if previous else None,
        },
    )
    _start_clock(actor, document)
    return document


@transaction.atomic
def publish(*, actor, document: Document) -> Document:
    document = _lock(document)
    _require_issued(document)
    if document.review.published_at is None:
        raise ValidationError("评议活动尚未公示，公开公文前请先公示评议活动。")
    if document.published_at is None:
        document.published_at = timezone.now()
        document.save(update_fields=["published_at"])
        record(
            actor=actor,
            action="document.published",
            target=document,
            summary=f"公开{document.get_kind_display()} {document.reference}",
        )
    return document


@transaction.atomic
def unpublish(*, actor, document: Document) -> Document:
    document = _lock(document)
    if document.published_at is not None:
        document.published_at = None
        document.save(update_fields=["published_at"])
        record(
            actor=actor,
            action="document.unpublished",
            target=document,
            summary=f"撤回公开 {document.reference}",
        )
    return document


def start_preview(*, actor, opinion_id: int | None = None, document_id: int | None = None):
    """Start the watermarked draft preview as a job: rendering runs in the worker under its
    time limit (R16), never in a web process."""
    from subjects.jobs import start_job

    params = {"opinion": opinion_id} if opinion_id else {"document": document_id}
    return start_job(
        actor=actor, kind="rectification.tasks.preview", label="生成草稿预览", params=params
    )


def preview_work(job, progress) -> tuple[str, bytes]:
    from . import pdf
    from .models import Opinion
    from .opinions import preview_document

    progress(0, 1)
    if job.params.get("opinion"):
        document = preview_document(
            Opinion.objects.select_related("review", "subject").get(pk=job.params["opinion"])
        )
    else:
        document = Document.objects.select_related("organ").get(pk=job.params["document"])
    data = pdf.render(document, draft=not document.is_issued)
    progress(1, 1)
    return f"{_plain(document.title)}（草稿）.pdf", data
