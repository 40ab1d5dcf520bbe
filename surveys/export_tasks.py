"""Celery tasks of the questionnaire exports: thin, they take a job id and call the export."""

import tempfile

from celery import shared_task

from subjects.jobs import run_job

EXPORT_RAW = "surveys.export_raw"


@shared_task(name=EXPORT_RAW, ignore_result=True)
def export_raw(job_id: str):
    """The raw answers of a questionnaire as an Excel file (a large export: progress shown)."""
    from .exports import export_filename, write_raw
    from .models import Questionnaire

    # Spooled to disk past 16 MB: a 100k-row workbook never sits whole in memory.
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as target:

        def work(job, progress):
            questionnaire = Questionnaire.objects.get(pk=job.params["questionnaire"])
            write_raw(questionnaire, target, progress)
            target.seek(0)
            return export_filename(questionnaire, "原始答卷"), target

        run_job(job_id, work)


__all__ = ["export_raw", "EXPORT_RAW"]
