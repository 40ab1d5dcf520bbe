"""归档: the office's archive page (blockers or the button, the job's progress, then the zip)
and the download the office and the council share. Thin: one service call per POST."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reviews.selectors import get_review_for_user
from subjects.access import roles_required
from subjects.audit import record
from subjects.files import serve_private
from subjects.forms import report_refusal
from subjects.roles import Role

from . import archive as archiving
from .models import ReviewArchive

CONFIRM_MISSING = "请勾选确认：归档后该评议活动的所有内容都将只能查阅，不能再修改。"


def _context(review) -> dict:
    done = ReviewArchive.objects.filter(review=review).select_related("created_by").first()
    return {
        "review": review,
        "archive": done,
        "size": archiving.human_size(done.size) if done else "",
        "blockers": [] if done else archiving.blockers(review),
        "job": None if done else archiving.last_job(review),
    }


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
@never_cache
def archive(request, pk):
    review = get_review_for_user(request.user, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            messages.error(request, CONFIRM_MISSING)
        else:
            try:
                archiving.start(actor=request.user, review=review)
            except ValidationError as error:
                report_refusal(request, error)
            else:
                messages.success(request, "已开始归档，完成后可在本页下载归档文件。")
        return redirect("rectification:archive", review.pk)
    context = _context(review)
    if request.headers.get("HX-Request"):
        return render(request, "rectification/archive_progress.html", context)
    return render(request, "rectification/archive.html", context)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def archive_download(request, pk):
    review = get_review_for_user(request.user, pk)
    done = ReviewArchive.objects.filter(review=review).first()
    if done is None or not done.file:
        raise Http404
    record(
        actor=request.user,
        action="archive.downloaded",
        target=review,
        summary=f"下载归档文件：{review.title}",
    )
    response = serve_private(done.file, archiving.zip_name(review))
    response["Content-Type"] = "application/zip"
    return response
