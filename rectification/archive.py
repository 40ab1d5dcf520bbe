"""归档: when every rectification case is closed, the office archives the review.

    office: start(review) ──► a job (Celery task `build_archive`, sent after commit)
        build(job): writes one zip into a temporary file, streaming every file into it:
            文件/<发文字号> <标题>.pdf         every issued document's PDF
            测评结果/<…>结果统计表.xlsx          every published poll of the review
            整改台账.xlsx                        rectification.ledger.ledger_workbook(review)
            整改材料/<评议对象>/…                 plans, reports and evidence of every case
            审计日志.xlsx                        the review's audit events, oldest first
            清单.txt                             every file above with its size and SHA-256
        then, in one transaction that locks the review and checks the blockers again:
            store the zip (default storage, a private name) ─ ReviewArchive ─ advance_phase
            to 归档 ─ audit `archive.created`. From then on `subjects.audit.record` refuses
            every decision on the review: it is read-only.

A rerun (a redelivered task, a retry after a crash) finds the ReviewArchive and stops; a zip
stored by a transaction that then failed is deleted, and no row ever points to a half zip.
"""

import hashlib
import logging
import tempfile
import zipfile
from datetime import timedelta
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from reviews.models import Poll, PollState, Review
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from subjects.files import private_upload_to
from subjects.jobs import claim, report_progress, start_job
from subjects.models import AuditEvent, Job, JobStatus
from subjects.roles import Role, has_role

from .models import (
    CaseStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    Evidence,
    Opinion,
    OpinionStatus,
    RectificationCase,
    RectificationReport,
    RenderStatus,
    ReviewArchive,
)

logger = logging.getLogger(__name__)

BUILD_ARCHIVE = "rectification.tasks.build_archive"
MANIFEST = "清单.txt"
CHUNK = 1024 * 1024

register_actions(
    {
        "archive.started": "开始归档",
        "archive.created": "评议活动归档",
        "archive.downloaded": "下载归档文件",
    }
)


# --- what stands in the way ----------------------------------------------------------------


def _names(rows, limit: int = 5) -> str:
    rows = list(rows)
    text = "、".join(rows[:limit])
    return text + (f"等 {len(rows)} 个" if len(rows) > limit else "")


def blockers(review: Review) -> list[str]:
    """Reasons, in Chinese, why the review cannot be archived yet (a few queries)."""
    if review.phase == Phase.ARCHIVED:
        return ["评议活动已归档。"]
    if review.phase != Phase.RECTIFY:
        return [f"评议活动处于“{review.get_phase_display()}”阶段，进入“整改”阶段后才能归档。"]
    reasons = []
    open_cases = list(
        RectificationCase.objects.filter(review=review, status=CaseStatus.OPEN)
        .order_by("subject__form", "subject__order", "subject_id")
        .values_list("subject__display_name", flat=True)
    )
    if open_cases:
        reasons.append(f"有 {len(open_cases)} 个整改事项尚未办结：{_names(open_cases)}")
    pending = list(
        Opinion.objects.filter(review=review)
        .exclude(status=OpinionStatus.ISSUED)
        .values_list("subject__display_name", flat=True)
    )
    if pending:
        reasons.append(f"有 {len(pending)} 份评议意见尚未印发：{_names(pending)}")
    unreceived = list(
        Document.objects.filter(
            review=review,
            kind=DocumentKind.OPINION,
            status=DocumentStatus.ISSUED,
            subject__rectification__isnull=True,
        ).values_list("subject__display_name", flat=True)
    )
    if unreceived:
        reasons.append(
            f"有 {len(unreceived)} 份已印发的评议意见尚未签收或登记送达，整改尚未开始："
            f"{_names(unreceived)}"
        )
    unrendered = list(
        Document.objects.filter(review=review, status=DocumentStatus.ISSUED)
        .exclude(render_status=RenderStatus.DONE, pdf__gt="")
        .values_list("title", flat=True)
    )
    if unrendered:
        reasons.append(f"有 {len(unrendered)} 份公文的PDF尚未生成：{_names(unrendered, 3)}")
    return reasons


# A job pending or running longer than this is taken as lost (a worker gone for good): a new
# click starts another. Two jobs at once are harmless — the second finds the archive and stops.
STALE_AFTER = timedelta(hours=1)


def running_job(review: Review) -> Job | None:
    return (
        Job.objects.filter(
            kind=BUILD_ARCHIVE,
            params__review=review.pk,
            status__in=(JobStatus.PENDING, JobStatus.RUNNING),
            created_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def last_job(review: Review) -> Job | None:
    return (
        Job.objects.filter(kind=BUILD_ARCHIVE, params__review=review.pk)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def start(*, actor, review: Review) -> Job:
    """The office asks for the archive: a job builds the zip and archives the review. A
    second click while a job runs returns that job."""
    if not has_role(actor, Role.OFFICE):
        raise PermissionDenied
    review = Review.objects.select_for_update().get(pk=review.pk)
    reasons = blockers(review)
    if reasons:
        raise ValidationError(reasons)
    job = running_job(review)
    if job is not None:
        return job
    job = start_job(
        actor=actor,
        kind=BUILD_ARCHIVE,
        label=f"归档：{review.title}",
        params={"review": review.pk},
    )
    record(
        actor=actor,
        action="archive.started",
        target=review,
        summary=f"开始归档：{review.title}",
        data={"job": str(job.pk)},
    )
    return job


# --- the zip -------------------------------------------------------------------------------


def _clean(name: str) -> str:
    """A path segment safe in a zip: no separators or control characters."""
    name = name.replace("\n", "").replace("\r", "")  # a title's line break, as pdf_filename
    for bad in '/\\:*?"<>|\t':
        name = name.replace(bad, " ")
    return " ".join(name.split())[:120] or "未命名"


def _pdf_name(document: Document) -> str:
    title = _clean(document.title)
    return f"文件/{document.reference} {title}.pdf" if document.reference else f"文件/{title}.pdf"


def _ext(name: str, default: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else default


class _Writer:
    """Adds entries to the zip, streaming, hashing and de-duplicating names as it goes."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.entries: list[tuple[str, int, str]] = []
        self.used: set[str] = set()

    def _unique(self, name: str) -> str:
        if name not in self.used:
            self.used.add(name)
            return name
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        n = 2
        while True:
            candidate = f"{stem}（{n}）.{ext}" if ext else f"{stem}（{n}）"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
            n += 1

    def add_stream(self, name: str, source) -> None:
        name = self._unique(name)
        digest, size = hashlib.sha256(), 0
        with self.zf.open(name, "w", force_zip64=True) as dest:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dest.write(chunk)
        self.entries.append((name, size, digest.hexdigest()))

    def add_file(self, name: str, fieldfile) -> None:
        with fieldfile.open("rb") as source:
            self.add_stream(name, source)

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add_stream(name, BytesIO(data))

    def manifest(self, review: Review) -> bytes:
        lines = [
            f"{review.title} 归档清单",
            f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}",
            f"文件数：{len(self.entries)}",
            "",
            "大小（字节）\tSHA-256\t文件",
        ]
        lines += [f"{size}\t{sha}\t{name}" for name, size, sha in self.entries]
        return ("\n".join(lines) + "\n").encode("utf-8")


def _documents(review: Review):
    return (
        Document.objects.filter(review=review, status=DocumentStatus.ISSUED)
        .select_related("organ")
        .order_by("issued_at", "year", "number", "id")
    )


def _polls(review: Review):
    return (
        Poll.objects.filter(meeting__review=review, state=PollState.PUBLISHED)
        .select_related("meeting")
        .order_by("published_at", "id")
    )


def _case_files(review: Review) -> list[tuple[str, object]]:
    """(zip name, field file) of every plan, report and evidence file of the review's cases."""
    files = []
    cases = (
        RectificationCase.objects.filter(review=review)
        .select_related("subject", "plan")
        .order_by("subject__form", "subject__order", "subject_id")
    )
    for case in cases:
        folder = f"整改材料/{_clean(case.subject.display_name)}"
        plan = getattr(case, "plan", None)
        if plan is not None and plan.file:
            ext = _ext(plan.file.name, "pdf")
            files.append((f"{folder}/整改方案.{ext}", plan.file))
    reports = (
        RectificationReport.objects.filter(round__case__review=review)
        .exclude(file="")
        .select_related("round__case__subject")
        .order_by("round__case_id", "round__number")
    )
    for report in reports:
        folder = f"整改材料/{_clean(report.round.case.subject.display_name)}"
        ext = _ext(report.file.name, "pdf")
        files.append((f"{folder}/第{report.round.number}轮整改落实情况报告.{ext}", report.file))
    evidence = (
        Evidence.objects.filter(progress__report__round__case__review=review)
        .select_related("progress__item", "progress__report__round__case__subject")
        .order_by("progress__report__round__case_id", "progress__report__round__number", "id")
    )
    for row in evidence:
        round_ = row.progress.report.round
        folder = f"整改材料/{_clean(round_.case.subject.display_name)}/佐证材料"
        files.append(
            (
                f"{folder}/第{round_.number}轮 第{row.progress.item.order}项 {_clean(row.name)}",
                row.file,
            )
        )
    return files


AUDIT_HEADER = ("时间", "操作人", "事件", "事件代码", "摘要", "对象", "请求编号", "IP地址")


def audit_workbook(review: Review) -> bytes:
    """The review's audit log, oldest first, as .xlsx (written row by row)."""
    from subjects.audit import ACTION_LABELS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    sheet.append(list(AUDIT_HEADER))
    events = AuditEvent.objects.filter(review_id=review.pk).order_by("occurred_at", "id")
    for event in events.iterator(chunk_size=2000):
        sheet.append(
            [
                timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_name,
                ACTION_LABELS.get(event.action, event.action),
                event.action,
                event.summary,
                event.target_repr,
                event.request_id,
                event.ip_address or "",
            ]
        )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _ledger(review: Review) -> bytes:
    from .ledger import ledger_workbook  # rectification.ledger (the 整改台账)

    return ledger_workbook(review)


def write_zip(review: Review, handle, progress=lambda done, total: None) -> list:
    """Write the archive of `review` into the open binary file `handle`; the manifest entries
    (name, size, sha256) are returned. One file at a time is read, in chunks."""
    from reviews import meetings
    from reviews.exports import poll_results_filename, poll_results_workbook

    documents = list(_documents(review))
    polls = list(_polls(review))
    case_files = _case_files(review)
    total = len(documents) + len(polls) + len(case_files) + 3
    done = 0

    def step():
        nonlocal done
        done += 1
        progress(done, total)

    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        writer = _Writer(zf)
        for document in documents:
            writer.add_file(_pdf_name(document), document.pdf)
            step()
        for poll in polls:
            res = meetings.results(poll)
            writer.add_bytes(
                f"测评结果/{_clean(poll_results_filename(res))}", poll_results_workbook(res)
            )
            step()
        writer.add_bytes("整改台账.xlsx", _ledger(review))
        step()
        for name, fieldfile in case_files:
            writer.add_file(name, fieldfile)
            step()
        writer.add_bytes("审计日志.xlsx", audit_workbook(review))
        step()
        zf.writestr(MANIFEST, writer.manifest(review))
        step()
    return writer.entries


def zip_name(review: Review) -> str:
    return f"{_clean(review.title)}归档.zip"


def build(job: Job, progress) -> ReviewArchive:
    """The job's work: the zip into a temporary file, then store and archive in one
    transaction. Returns the archive (the existing one on a rerun)."""
    review = Review.objects.get(pk=job.params["review"])
    existing = ReviewArchive.objects.filter(review=review).first()
    if existing is not None:
        return existing
    with tempfile.TemporaryFile(suffix=".zip") as handle:
        write_zip(review, handle, progress)
        size = handle.tell()
        handle.seek(0)
        stored = default_storage.save(
            private_upload_to(ReviewArchive(), "archive.zip"), File(handle)
        )
    try:
        return _archive(job, review, stored, size)
    except Exception:
        # No row points to the stored zip: remove it so nothing half-made stays around.
        default_storage.delete(stored)
        raise


@transaction.atomic
def _archive(job: Job, review: Review, stored: str, size: int) -> ReviewArchive:
    from reviews.services import advance_phase

    review = Review.objects.select_for_update().get(pk=review.pk)
    existing = ReviewArchive.objects.filter(review=review).first()
    if existing is not None:
        default_storage.delete(stored)
        return existing
    reasons = blockers(review)
    if reasons:
        raise ValidationError(reasons)
    archive = ReviewArchive.objects.create(
        review=review, file=stored, size=size, created_by=job.created_by
    )
    advance_phase(actor=job.created_by, review=review)
    record(
        actor=job.created_by,
        action="archive.created",
        target=review,
        summary=f"评议活动归档：{review.title}（归档文件 {human_size(size)}）",
        data={"size": size, "job": str(job.pk)},
    )
    return archive


def run(job_id) -> None:
    """The Celery task's body: like subjects.jobs.run_job, but the result is the review's
    archive (kept with the review), not a file of the job."""
    job = claim(job_id)
    if job is None:
        return
    try:
        build(job, lambda done, total: report_progress(job.pk, done, total))
    except Exception as error:
        logger.exception("archive job %s failed", job_id)
        message = (
            "；".join(error.messages)
            if isinstance(error, ValidationError)
            else f"归档失败：{type(error).__name__}"
        )
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=message[:300], finished_at=timezone.now()
        )
        return
    job.refresh_from_db(fields=["done", "total"])
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        done=max(job.done, job.total),
        finished_at=timezone.now(),
    )


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


__all__ = ["BUILD_ARCHIVE", "blockers", "build", "run", "start", "write_zip"]
