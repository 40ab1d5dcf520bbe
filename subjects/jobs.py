"""Long jobs started by a POST and run by a Celery worker (ARCHITECTURE.md, start-then-poll).

    job = start_job(actor=request.user, kind="surveys.export_raw", label="导出原始答卷",
                    params={"questionnaire": q.pk})

`kind` is the name of the Celery task that runs the job; the task is sent after commit (R17),
so a rolled-back request starts nothing. A task receives the job id only and uses
`run_job(job_id, work)`: it claims the job, reports progress with a conditional UPDATE, saves
the file to the default storage and marks the job done or failed. A redelivered task (acks
late, a lost worker) runs the job again unless it is already done.
"""

import logging
from collections.abc import Callable

from celery import current_app
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from .models import Job, JobStatus
from .roles import Role, has_role

logger = logging.getLogger(__name__)


def start_job(*, actor, kind: str, label: str, params: dict | None = None) -> Job:
    job = Job.objects.create(kind=kind, label=label, params=params or {}, created_by=actor)
    job_id = str(job.pk)
    transaction.on_commit(lambda: current_app.send_task(kind, args=[job_id]))
    return job


def claim(job_id) -> Job | None:
    """Mark the job running; None when it is already done (or gone)."""
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(Q(status=JobStatus.PENDING) | Q(status=JobStatus.RUNNING))
        .update(status=JobStatus.RUNNING, done=0, error="")
    )
    return Job.objects.filter(pk=job_id).first() if claimed else None


def report_progress(job_id, done: int, total: int) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(done=done, total=total)


def run_job(job_id, work: Callable[[Job, Callable[[int, int], None]], tuple[str, object]]) -> None:
    """Claim the job, call `work(job, progress)` which returns (download name, content: bytes
    or a file object), store the content and mark the job done; mark it failed on error."""
    job = claim(job_id)
    if job is None:
        return
    try:
        filename, content = work(job, lambda done, total: report_progress(job.pk, done, total))
        stored = (
            ContentFile(content) if isinstance(content, bytes) else File(content, name=filename)
        )
        job.file.save(f"{job.pk}.{filename.rsplit('.', 1)[-1]}", stored, save=False)
        job.refresh_from_db(fields=["done", "total"])
        job.filename = filename
        job.status = JobStatus.DONE
        job.finished_at = timezone.now()
        job.done = max(job.done, job.total)
        job.save(update_fields=["file", "filename", "status", "finished_at", "done"])
    except Exception as error:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=f"任务失败：{type(error).__name__}"[:300],
            finished_at=timezone.now(),
        )


def get_job_for_user(user, pk) -> Job:
    """Only the job's creator or the office may see a job and its file; others get 404."""
    jobs = Job.objects.all()
    if not has_role(user, Role.OFFICE):
        jobs = jobs.filter(created_by=user)
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
