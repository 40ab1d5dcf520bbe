"""The page of a long job: a progress bar polled by htmx every second, then the download.
Only the job's creator (or the office) sees a job; anyone else gets 404."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .access import authenticated
from .exports import XLSX_TYPE
from .files import serve_private
from .jobs import get_job_for_user
from .models import JobStatus


@authenticated
@require_GET
def job_detail(request, pk):
    job = get_job_for_user(request.user, pk)
    return render(request, "subjects/job.html", {"job": job})


@authenticated
@require_GET
@never_cache
def job_progress(request, pk):
    job = get_job_for_user(request.user, pk)
    return render(request, "subjects/_job_progress.html", {"job": job})


@authenticated
@require_GET
def job_download(request, pk):
    job = get_job_for_user(request.user, pk)
    if job.status != JobStatus.DONE or not job.file:
        raise Http404
    response = serve_private(job.file, job.filename or job.file.name.rsplit("/", 1)[-1])
    if job.file.name.endswith(".xlsx"):
        response["Content-Type"] = XLSX_TYPE
    return response
