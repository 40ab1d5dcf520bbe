"""The working groups' investigation pages (Phase 2 调查/初评): activities, the 问题清单,
调查报告, and the council's list of reports to hear.

Views are thin: a permission-checking fetcher of `selectors_investigation` (404 for another
group's records, R10), a form, one service of `surveys.investigation` / `surveys.findings`,
then a redirect (PRG) or the form again with the refusal and everything the user typed (R23).
The council reads and hears; writing views are not open to it (403).
"""

from copy import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.models import Subject, WorkingGroup
from subjects.access import roles_required
from subjects.exports import xlsx_response
from subjects.files import serve_private
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role, has_role

from . import findings as finding_services
from . import investigation as services
from .forms_investigation import (
    ActivityFilterForm,
    ActivityForm,
    FindingFilterForm,
    FindingForm,
    HearForm,
    ReportAttachmentForm,
    ReportForm,
    ReturnForm,
    WithdrawForm,
)
from .models import ActivityAttachment, FindingStatus, InvestigationReportAttachment, ReportStatus
from .selectors_investigation import (
    activities_for_user,
    activity_choices_for,
    attachments_of,
    can_write_group,
    finding_counts,
    findings_for_user,
    get_activity_for_user,
    get_finding_for_user,
    get_investigation_review,
    get_subject_for_user,
    groups_of_user,
    pending_reports,
    questionnaire_choices_for,
    recently_heard_reports,
    report_of,
    subjects_for_user,
    subjects_with_reports,
    writable_group_ids,
)

READERS = (Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER)
WRITERS = (Role.OFFICE, Role.GROUP_MEMBER)
PER_PAGE = 50


# --- helpers ---------------------------------------------------------------------------------


def _base(request, review, **extra) -> dict:
    return {
        "review": review,
        "is_office": has_role(request.user, Role.OFFICE),
        "is_council": has_role(request.user, Role.COUNCIL),
        "is_open": services.is_open(review),
        "phase_notice": _phase_notice(review),
        **extra,
    }


def _phase_notice(review) -> str:
    try:
        services.require_open(review)
    except ValidationError as error:
        return error.messages[0]
    return ""


def _writable_groups(user, review):
    ids = writable_group_ids(user, review.pk)
    groups = WorkingGroup.objects.filter(review=review).order_by("order", "id")
    return groups if ids is None else groups.filter(pk__in=ids)


def _writable_subjects(user, review):
    ids = writable_group_ids(user, review.pk)
    subjects = Subject.objects.filter(review=review).order_by("order", "id")
    return subjects if ids is None else subjects.filter(group_id__in=ids)


def _page(request, queryset):
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return page, query


def _require_writer(user, review_id, group_id) -> None:
    if not can_write_group(user, review_id, group_id):
        raise PermissionDenied


# --- activities ------------------------------------------------------------------------------


@roles_required(*READERS)
@require_GET
def activity_list(request, pk):
    review = get_investigation_review(request.user, pk)
    subjects = subjects_for_user(request.user, review)
    groups = groups_of_user(request.user, review)
    form = ActivityFilterForm(request.GET or None, subjects=subjects, groups=groups)
    activities = activities_for_user(request.user, review, **form.filters())
    page, query = _page(request, activities)
    can_add = services.is_open(review) and _writable_groups(request.user, review).exists()
    return render(
        request,
        "surveys/investigation/activity_list.html",
        _base(
            request,
            review,
            form=form,
            page=page,
            query=query,
            can_add=can_add,
            show_group=len(groups) > 1,
        ),
    )


def _activity_form_page(request, review, form, activity=None):
    return render(
        request,
        "surveys/investigation/activity_form.html",
        _base(request, review, form=form, activity=activity),
    )


@roles_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def activity_create(request, pk):
    review = get_investigation_review(request.user, pk)
    groups = _writable_groups(request.user, review)
    if not groups.exists():
        raise Http404
    if not services.is_open(review):
        messages.error(request, _phase_notice(review))
        return redirect("surveys:activity_list", pk=review.pk)
    subjects = _writable_subjects(request.user, review)
    initial = {}
    if request.GET.get("subject"):
        initial["subjects"] = [request.GET["subject"]]
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, groups=groups, subjects=subjects)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                activity = services.create_activity(
                    actor=request.user,
                    review=review,
                    group=data.pop("group"),
                    subjects=list(data.pop("subjects")),
                    files=data.pop("attachments"),
                    **data,
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已记录{activity.get_kind_display()}。")
                return redirect("surveys:activity", pk=activity.pk)
    else:
        form = ActivityForm(groups=groups, subjects=subjects, initial=initial)
    return _activity_form_page(request, review, form)


@roles_required(*READERS)
@require_GET
def activity_detail(request, pk):
    activity = get_activity_for_user(request.user, pk)
    review = activity.review
    return render(
        request,
        "surveys/investigation/activity_detail.html",
        _base(
            request,
            review,
            activity=activity,
            subjects=list(activity.subjects.order_by("order", "id")),
            attachments=attachments_of(activity),
            findings=list(activity.findings.select_related("review", "subject")),
            can_edit=services.is_open(review)
            and can_write_group(request.user, review.pk, activity.group_id),
        ),
    )


@roles_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    activity = get_activity_for_user(request.user, pk)
    review = activity.review
    _require_writer(request.user, review.pk, activity.group_id)
    if not services.is_open(review):
        messages.error(request, _phase_notice(review))
        return redirect("surveys:activity", pk=activity.pk)
    groups = _writable_groups(request.user, review)
    subjects = _writable_subjects(request.user, review)
    if request.method == "POST":
        # A copy: the form writes typed values onto its instance; the page shows the saved row.
        form = ActivityForm(
            request.POST, request.FILES, instance=copy(activity), groups=groups, subjects=subjects
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.update_activity(
                    actor=request.user,
                    activity=activity,
                    group=data.pop("group"),
                    subjects=list(data.pop("subjects")),
                    files=data.pop("attachments"),
                    **data,
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "调查活动已保存。")
                return redirect("surveys:activity", pk=activity.pk)
    else:
        form = ActivityForm(instance=activity, groups=groups, subjects=subjects)
    return _activity_form_page(request, review, form, activity)


@roles_required(*READERS)
@require_GET
def activity_attachment(request, pk, att_pk):
    activity = get_activity_for_user(request.user, pk)
    attachment = get_object_or_404(ActivityAttachment, pk=att_pk, activity=activity)
    return serve_private(attachment.file, attachment.name)


@roles_required(*WRITERS)
@require_POST
def activity_attachment_remove(request, pk, att_pk):
    activity = get_activity_for_user(request.user, pk)
    attachment = get_object_or_404(ActivityAttachment, pk=att_pk, activity=activity)
    try:
        services.remove_activity_attachment(actor=request.user, attachment=attachment)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已删除附件《{attachment.name}》。")
    return redirect("surveys:activity", pk=activity.pk)


# --- 问题清单 ----------------------------------------------------------------------------------


def _finding_filters(request, review):
    subjects = subjects_for_user(request.user, review)
    form = FindingFilterForm(request.GET or None, subjects=subjects)
    return form, findings_for_user(request.user, review, **form.filters())


@roles_required(*READERS)
@require_GET
def finding_list(request, pk):
    review = get_investigation_review(request.user, pk)
    form, findings = _finding_filters(request, review)
    page, query = _page(request, findings)
    counts = finding_counts(findings_for_user(request.user, review))
    per_subject = {row["subject_id"]: row["n"] for row in counts["per_subject"]}
    writable = writable_group_ids(request.user, review.pk)
    open_ = services.is_open(review)
    subject_rows = [
        (
            subject,
            per_subject.get(subject.pk, 0),
            open_
            and subject.group_id is not None
            and (writable is None or subject.group_id in writable),
        )
        for subject in subjects_for_user(request.user, review)
    ]
    return render(
        request,
        "surveys/investigation/finding_list.html",
        _base(
            request,
            review,
            form=form,
            page=page,
            query=query,
            counts=counts,
            subject_rows=subject_rows,
            export_query=query,
        ),
    )


@roles_required(*READERS)
@require_GET
def finding_export(request, pk):
    review = get_investigation_review(request.user, pk)
    _form, findings = _finding_filters(request, review)
    content = finding_services.findings_workbook(review, findings.iterator(chunk_size=500))
    return xlsx_response(content, f"{review.title}问题清单.xlsx")


@roles_required(*READERS)
@require_GET
def subject_investigation(request, pk):
    subject = get_subject_for_user(request.user, pk)
    review = subject.review
    can_write = subject.group_id is not None and can_write_group(
        request.user, review.pk, subject.group_id
    )
    return render(
        request,
        "surveys/investigation/subject.html",
        _base(
            request,
            review,
            subject=subject,
            findings=list(findings_for_user(request.user, review, subject=subject)),
            activities=list(activities_for_user(request.user, review, subject=subject)),
            report=report_of(subject),
            can_write=can_write and services.is_open(review),
            withdraw_form=WithdrawForm(),
        ),
    )


def _finding_form_page(request, subject, form, finding=None):
    return render(
        request,
        "surveys/investigation/finding_form.html",
        _base(request, subject.review, subject=subject, form=form, finding=finding),
    )


def _finding_form(subject, *args, **kwargs):
    return FindingForm(
        *args,
        activities=activity_choices_for(subject),
        questionnaires=questionnaire_choices_for(subject.review),
        **kwargs,
    )


@roles_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def finding_create(request, pk):
    subject = get_subject_for_user(request.user, pk)
    _require_writer(request.user, subject.review_id, subject.group_id)
    if not services.is_open(subject.review):
        messages.error(request, _phase_notice(subject.review))
        return redirect("surveys:subject", pk=subject.pk)
    if request.method == "POST":
        form = _finding_form(subject, request.POST)
        if form.is_valid():
            try:
                finding = finding_services.create_finding(
                    actor=request.user, subject=subject, **form.cleaned_data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已记入问题清单，编号 {finding.code}。")
                if request.POST.get("next") == "again":
                    return redirect("surveys:finding_create", pk=subject.pk)
                return redirect(reverse("surveys:subject", args=[subject.pk]) + "#findings")
    else:
        initial = {}
        if request.GET.get("activity"):
            initial["activity"] = request.GET["activity"]
        form = _finding_form(subject, initial=initial)
    return _finding_form_page(request, subject, form)


@roles_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk):
    finding = get_finding_for_user(request.user, pk)
    subject = finding.subject
    _require_writer(request.user, finding.review_id, subject.group_id)
    back = reverse("surveys:subject", args=[subject.pk]) + "#findings"
    if not services.is_open(finding.review) or finding.status == FindingStatus.WITHDRAWN:
        messages.error(
            request, _phase_notice(finding.review) or "该问题已撤销，不能修改；如需修改请先恢复。"
        )
        return redirect(back)
    if request.method == "POST":
        form = _finding_form(subject, request.POST, instance=copy(finding))
        if form.is_valid():
            try:
                finding_services.update_finding(
                    actor=request.user, finding=finding, **form.cleaned_data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"问题 {finding.code} 已保存。")
                return redirect(back)
    else:
        form = _finding_form(subject, instance=finding)
    return _finding_form_page(request, subject, form, finding)


@roles_required(*WRITERS)
@require_POST
def finding_withdraw(request, pk):
    finding = get_finding_for_user(request.user, pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        finding_services.withdraw_finding(
            actor=request.user, finding=finding, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"问题 {finding.code} 已撤销，编号保留不再使用。")
    return redirect(reverse("surveys:subject", args=[finding.subject_id]) + "#findings")


@roles_required(*WRITERS)
@require_POST
def finding_restore(request, pk):
    finding = get_finding_for_user(request.user, pk)
    try:
        finding_services.restore_finding(actor=request.user, finding=finding)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"问题 {finding.code} 已恢复。")
    return redirect(reverse("surveys:subject", args=[finding.subject_id]) + "#findings")


# --- 调查报告 ----------------------------------------------------------------------------------


@roles_required(*READERS)
@require_GET
def report_list(request, pk):
    review = get_investigation_review(request.user, pk)
    return render(
        request,
        "surveys/investigation/report_list.html",
        _base(request, review, subjects=subjects_with_reports(request.user, review)),
    )


def _report_page(
    request,
    subject,
    *,
    form=None,
    attachment_form=None,
    hear_form=None,
    return_form=None,
    status=200,
):
    review = subject.review
    report = report_of(subject)
    can_write = (
        services.is_open(review)
        and subject.group_id is not None
        and can_write_group(request.user, review.pk, subject.group_id)
    )
    editable = can_write and services.report_is_editable(report)
    if editable and form is None:
        form = ReportForm(
            initial={
                "version": report.version if report else 0,
                **{f: getattr(report, f) for f in services.REPORT_SECTIONS if report},
            }
        )
    can_decide = (
        has_role(request.user, Role.COUNCIL)
        and services.is_open(review)
        and report is not None
        and report.status == ReportStatus.SUBMITTED
    )
    return render(
        request,
        "surveys/investigation/report.html",
        _base(
            request,
            review,
            subject=subject,
            report=report,
            attachments=list(report.attachments.all()) if report else [],
            editable=editable,
            can_submit=editable and report is not None,
            form=form if editable else None,
            attachment_form=attachment_form or ReportAttachmentForm(),
            can_decide=can_decide,
            hear_form=hear_form or HearForm(),
            return_form=return_form or ReturnForm(),
            finding_count=subject.findings.filter(status=FindingStatus.ACTIVE).count(),
        ),
        status=status,
    )


@roles_required(*READERS)
@require_GET
def report(request, pk):
    return _report_page(request, get_subject_for_user(request.user, pk))


@roles_required(*WRITERS)
@require_POST
def report_save(request, pk):
    subject = get_subject_for_user(request.user, pk)
    _require_writer(request.user, subject.review_id, subject.group_id)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _report_page(request, subject, form=form)
    if request.POST.get("action") == "fill":
        # Appends to what the user typed, saves nothing: they read it, edit it, then save.
        problems, count = services.append_problems(form.cleaned_data["problems"], subject)
        data = request.POST.copy()
        data["problems"] = problems
        form = ReportForm(data)
        form.is_valid()
        if count:
            messages.info(request, f"已从问题清单填入 {count} 条问题，请检查修改后点击“保存草稿”。")
        else:
            messages.warning(request, "该评议对象的问题清单中还没有有效的问题。")
        return _report_page(request, subject, form=form)
    try:
        services.save_report(
            actor=request.user,
            subject=subject,
            version=form.cleaned_data["version"],
            **form.sections(),
        )
    except ValidationError as error:
        if _conflict(error):
            errors_into_form(form, error)
            return _report_page(request, subject, form=form, status=409)
        # Submitted, heard or out of phase: the page shows no form to carry the message.
        report_refusal(request, error)
        return redirect("surveys:report", pk=subject.pk)
    messages.success(request, "调查报告草稿已保存。")
    return redirect("surveys:report", pk=subject.pk)


def _conflict(error: ValidationError) -> bool:
    return any(getattr(e, "code", None) == "conflict" for e in error.error_list)


@roles_required(*WRITERS)
@require_POST
def report_submit(request, pk):
    subject = get_subject_for_user(request.user, pk)
    try:
        services.submit_report(actor=request.user, subject=subject)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "调查报告已报送主任会议，主任会议成员会收到通知。")
    return redirect("surveys:report", pk=subject.pk)


@roles_required(*WRITERS)
@require_POST
def report_attachment_upload(request, pk):
    subject = get_subject_for_user(request.user, pk)
    _require_writer(request.user, subject.review_id, subject.group_id)
    form = ReportAttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = services.add_report_attachments(
                actor=request.user, subject=subject, files=form.cleaned_data["files"]
            )
        except ValidationError as error:
            if not (
                services.is_open(subject.review) and services.report_is_editable(report_of(subject))
            ):
                report_refusal(request, error)
                return redirect("surveys:report", pk=subject.pk)
            errors_into_form(form, error)
        else:
            messages.success(request, f"已上传 {len(stored)} 个附件。")
            return redirect(reverse("surveys:report", args=[subject.pk]) + "#attachments")
    return _report_page(request, subject, attachment_form=form)


@roles_required(*READERS)
@require_GET
def report_attachment(request, pk, att_pk):
    subject = get_subject_for_user(request.user, pk)
    attachment = get_object_or_404(
        InvestigationReportAttachment, pk=att_pk, report__subject=subject
    )
    return serve_private(attachment.file, attachment.name)


@roles_required(*WRITERS)
@require_POST
def report_attachment_remove(request, pk, att_pk):
    subject = get_subject_for_user(request.user, pk)
    attachment = get_object_or_404(
        InvestigationReportAttachment.objects.select_related("report__subject"),
        pk=att_pk,
        report__subject=subject,
    )
    try:
        services.remove_report_attachment(actor=request.user, attachment=attachment)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已删除附件《{attachment.name}》。")
    return redirect(reverse("surveys:report", args=[subject.pk]) + "#attachments")


@roles_required(Role.COUNCIL)
@require_POST
def report_hear(request, pk):
    subject = get_subject_for_user(request.user, pk)
    form = HearForm(request.POST)
    if form.is_valid():
        try:
            services.hear_report(
                actor=request.user,
                subject=subject,
                heard_on=form.cleaned_data["heard_on"],
                session=form.cleaned_data["session"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已记录主任会议听取关于{subject}的调查报告。")
            return redirect("surveys:reports_pending")
    return _report_page(request, subject, hear_form=form)


@roles_required(Role.COUNCIL)
@require_POST
def report_return(request, pk):
    subject = get_subject_for_user(request.user, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_report(
                actor=request.user, subject=subject, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "调查报告已退回评议工作组修改，组长会收到通知。")
            return redirect("surveys:reports_pending")
    return _report_page(request, subject, return_form=form)


@roles_required(Role.COUNCIL, Role.OFFICE)
@require_GET
def reports_pending(request):
    return render(
        request,
        "surveys/investigation/reports_pending.html",
        {
            "reports": list(pending_reports()),
            "heard": list(recently_heard_reports()),
            "is_council": has_role(request.user, Role.COUNCIL),
        },
    )
