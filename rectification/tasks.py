"""Celery tasks of documents and deadlines: thin, they take ids and call a service (R17, R20)."""

from celery import shared_task

from subjects.jobs import run_job

RENDER = "rectification.tasks.render_document"
ISSUE_OPINIONS = "rectification.tasks.issue_opinions"
SCAN = "rectification.tasks.scan_obligations"


@shared_task(
    name=RENDER,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    max_retries=2,
    soft_time_limit=60,
    time_limit=90,
)
def render_document(document_id: int):
    """Render an issued document's PDF. The document row exists already; a redelivered or
    retried task fills it at most once, and stops after MAX_RENDER_ATTEMPTS."""
    from .documents import render_document as render

    render(document_id)


@shared_task(name=ISSUE_OPINIONS, ignore_result=True)
def issue_opinions(job_id: str):
    """The batch "issue all approved opinions", with progress."""
    from .opinions import issue_all

    run_job(job_id, issue_all)


@shared_task(name=SCAN, ignore_result=True, soft_time_limit=240, time_limit=300)
def scan_obligations():
    """Hourly from beat: reminders of what is due and the office's daily digest. Safe to run
    twice or concurrently (R18); a scan killed midway commits nothing of its batch."""
    from .obligations import scan

    scan()


@shared_task(name="rectification.tasks.preview", ignore_result=True, soft_time_limit=60)
def preview(job_id: str):
    """The watermarked draft preview of an opinion or a document."""
    from .documents import preview_work

    run_job(job_id, preview_work)


@shared_task(name="rectification.tasks.build_archive", ignore_result=True)
def build_archive(job_id: str):
    """归档: the review's zip, then the review becomes read-only (rectification.archive)."""
    from .archive import run

    run(job_id)
