"""The 述职报告 pages: the office sets the deadline, reviews and distributes the reports; the
official uploads from their portal; committee members read the distributed reports.

Views stay thin: a permission-checking fetcher (reviews.selectors / selectors_duty), a form,
one service of `surveys.duty_reports`, then a redirect or the form again with the refusal.
"""

import os

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.portal import next_steps
from reviews.selectors import get_review_for_user, get_subject_for_official_user
from subjects.access import roles_required
from subjects.files import serve_private
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role, has_role
from subjects.widgets import bootstrap

from . import duty_reports
from .forms_duty import DeadlineForm, DistributeForm, ReturnForm, UploadForm
from .models import DutyReportStatus
from .selectors_duty import (
    distributed_reports,
    get_report_for_office,
    get_review_for_member,
    get_version_for_download,
    is_duty_staff,
    reviews_for_member,
    subjects_with_reports,
)

STAFF = (Role.OFFICE, Role.COUNCIL)
READERS = (Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER, Role.OFFICIAL)


def report_rows(subjects, settings) -> list[dict]:
    """One row per subject with its report's marks (late, missing), from the prefetched rows."""
    now = timezone.now()
    due_at = settings.due_at
    rows = []
    for subject in subjects:
        report = getattr(subject, "duty_report", None)
        current = report.current if report is not None else None
        rows.append(
            {
                "subject": subject,
                "report": report,
                "current": current,
                "versions": subject.version_count,
                "missing": current is None,
                "overdue": current is None and due_at is not None and now > due_at,
                "late": current is not None and due_at is not None and current.uploaded_at > due_at,
            }
        )
    return rows


# --- office: deadline ----------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def deadline(request, pk):
    review = get_review_for_user(request.user, pk)
    settings = duty_reports.settings_for(review)
    meeting, presets = duty_reports.preset_deadlines(review)
    initial = {"due_at": timezone.localtime(settings.due_at)} if settings.due_at else {}
    preset = request.POST.get("preset", "") if request.method == "POST" else ""
    # A preset button ignores the typed field: its refusal is shown above the form.
    form = DeadlineForm(
        request.POST if request.method == "POST" and not preset else None, initial=initial
    )
    preset_errors = []
    if request.method == "POST":
        try:
            if preset:
                due_at = duty_reports.preset_due_at(review, int(preset) if preset.isdigit() else 0)
            else:
                due_at = form.cleaned_data["due_at"] if form.is_valid() else None
            if due_at is not None:
                duty_reports.set_deadline(actor=request.user, review=review, due_at=due_at)
                messages.success(
                    request,
                    f"述职报告提交截止时间已设为 {duty_reports.format_due(due_at)}，"
                    "已通知各评议对象。",
                )
                return redirect("surveys:duty_reports", pk=review.pk)
        except ValidationError as error:
            if form.is_bound:
                errors_into_form(form, error)
            else:
                preset_errors = error.messages
    return render(
        request,
        "surveys/duty/deadline.html",
        {
            "review": review,
            "settings": settings,
            "form": bootstrap(form),
            "meeting": meeting,
            "presets": presets,
            "preset_errors": preset_errors,
        },
    )


# --- office (and groups): the reports of a review -----------------------------------------------


@roles_required(Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER)
@require_GET
def report_list(request, pk):
    review = get_review_for_user(request.user, pk)
    settings = duty_reports.settings_for(review)
    rows = report_rows(subjects_with_reports(review, request.user), settings)
    counts = {
        "total": len(rows),
        "submitted": sum(1 for r in rows if not r["missing"]),
        "accepted": sum(
            1 for r in rows if r["report"] and r["report"].status == DutyReportStatus.ACCEPTED
        ),
        "pending": sum(
            1 for r in rows if r["current"] and r["report"].status == DutyReportStatus.SUBMITTED
        ),
        "missing": sum(1 for r in rows if r["missing"]),
    }
    return render(
        request,
        "surveys/duty/list.html",
        {
            "review": review,
            "settings": settings,
            "rows": rows,
            "counts": counts,
            "is_staff": is_duty_staff(request.user),
            "is_office": has_role(request.user, Role.OFFICE),
        },
    )


def _detail(request, report, return_form=None, status=200):
    versions = list(report.versions.select_related("uploaded_by"))
    review = report.subject.review
    return render(
        request,
        "surveys/duty/report.html",
        {
            "review": review,
            "report": report,
            "subject": report.subject,
            "versions": versions,
            "settings": duty_reports.settings_for(review),
            "return_form": bootstrap(return_form or ReturnForm()),
            "is_office": has_role(request.user, Role.OFFICE),
        },
        status=status,
    )


@roles_required(*STAFF)
@require_GET
def report_detail(request, pk):
    return _detail(request, get_report_for_office(request.user, pk))


@roles_required(Role.OFFICE)
@require_POST
def report_accept(request, pk):
    report = get_report_for_office(request.user, pk)
    try:
        duty_reports.accept_report(actor=request.user, report=report)
        messages.success(request, f"已接收{report.subject.display_name}的述职报告，并通知本人。")
    except ValidationError as error:
        report_refusal(request, error)
    return redirect("surveys:duty_report", pk=report.pk)


@roles_required(Role.OFFICE)
@require_POST
def report_return(request, pk):
    report = get_report_for_office(request.user, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            duty_reports.return_report(
                actor=request.user, report=report, comment=form.cleaned_data["comment"]
            )
            messages.success(
                request, f"已退回{report.subject.display_name}的述职报告，并通知本人。"
            )
            return redirect("surveys:duty_report", pk=report.pk)
        except ValidationError as error:
            errors_into_form(form, error)
    return _detail(request, report, return_form=form)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def distribute(request, pk):
    review = get_review_for_user(request.user, pk)
    settings = duty_reports.settings_for(review)
    form = DistributeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            duty_reports.distribute(
                actor=request.user,
                review=review,
                confirm_incomplete=form.cleaned_data["confirm"],
            )
            messages.success(request, "已将已接收的述职报告印发常委会组成人员。")
            return redirect("surveys:duty_reports", pk=review.pk)
        except ValidationError as error:
            errors_into_form(form, error)
    return render(
        request,
        "surveys/duty/distribute.html",
        {
            "review": review,
            "settings": settings,
            "counts": duty_reports.distribution_counts(review),
            "form": bootstrap(form),
        },
    )


# --- the official --------------------------------------------------------------------------------


@roles_required(Role.OFFICIAL)
@require_POST
def upload(request, pk):
    subject = get_subject_for_official_user(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = duty_reports.upload_version(
                actor=request.user, subject=subject, uploaded=form.cleaned_data["file"]
            )
            messages.success(
                request, f"已上传述职报告第 {version.number} 版（{version.name}），等待评议办审核。"
            )
            return redirect("reviews:official_subject", pk=subject.pk)
        except ValidationError as error:
            errors_into_form(form, error)
    # The refusal is shown in the panel of the official's own page; nothing was stored.
    return render(
        request,
        "reviews/official_subject.html",
        {
            "subject": subject,
            "review": subject.review,
            "steps": next_steps(subject),
            "duty_form": form,
        },
    )


# --- downloads (R15) -----------------------------------------------------------------------------


@roles_required(*READERS)
@require_GET
def download(request, pk):
    version = get_version_for_download(request.user, pk)
    subject = version.report.subject
    extension = os.path.splitext(version.name)[1]
    name = f"{subject.display_name}述职报告（第{version.number}版）{extension}"
    return serve_private(version.file, name)


# --- committee members ---------------------------------------------------------------------------


@roles_required(Role.COMMITTEE_MEMBER)
@require_GET
def member_index(request):
    reviews = list(reviews_for_member(request.user))
    if len(reviews) == 1:
        return redirect("surveys:member_duty_review", pk=reviews[0].pk)
    return render(request, "surveys/duty/member_index.html", {"reviews": reviews})


@roles_required(Role.COMMITTEE_MEMBER)
@require_GET
def member_review(request, pk):
    review = get_review_for_member(request.user, pk)
    return render(
        request,
        "surveys/duty/member_review.html",
        {
            "review": review,
            "settings": review.duty_settings,
            "subjects": list(distributed_reports(review)),
        },
    )
