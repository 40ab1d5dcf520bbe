"""The office's rectification pages: a case (read by the council too), the review's 整改台账
and its publication, and the holiday calendar.

Views are thin: fetch through the permission-checking fetchers (404 for what the user may not
see), parse a form, call one service of `cases`, `ledger` or `holidays`, then redirect (PRG)
or re-render the page with the service's refusal and everything that was typed (R23).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.selectors import get_review_for_user
from reviews.workflow import Phase
from subjects.access import roles_required
from subjects.audit import ARCHIVED_MESSAGE
from subjects.exports import xlsx_response
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role, has_role

from . import cases, holidays, ledger
from .forms_case_office import (
    CommentForm,
    DeadlineForm,
    FollowUpForm,
    HolidayForm,
    HolidayImportForm,
    LedgerFilterForm,
)
from .models import CaseStatus, Holiday, Obligation, ReviewStatus
from .selectors import history_of

# --- one case --------------------------------------------------------------------------------


def file_url(case, kind: str, pk) -> str | None:
    """The checked download of a plan, report or evidence file (the official pages' view)."""
    try:
        return reverse("rectification:official_case_file", args=[case.pk, kind, pk])
    except NoReverseMatch:
        return None


def _open_obligations(case):
    return (
        Obligation.objects.filter(round__case=case, fulfilled_at__isnull=True)
        .select_related("round")
        .order_by("round__number", "kind", "id")
    )


def _case_page(request, case, *, status=200, **forms):
    sheet = ledger.case_sheet(case)
    is_office = has_role(request.user, Role.OFFICE)
    can_act = is_office and case.review.phase != Phase.ARCHIVED and case.status == CaseStatus.OPEN
    plan = sheet.plan
    report = sheet.report
    for row in sheet.progress:
        for evidence in row.evidence_list:
            evidence.url = file_url(case, "evidence", evidence.pk)
    context = {
        "case": case,
        "review": case.review,
        "subject": case.subject,
        "sheet": sheet,
        "is_office": is_office,
        "can_act": can_act,
        "can_move": is_office and case.review.phase != Phase.ARCHIVED,
        "plan_url": file_url(case, "plan", plan.pk) if plan and plan.file else None,
        "report_url": file_url(case, "report", report.pk) if report and report.file else None,
        "plan_pending": bool(plan and plan.status == ReviewStatus.SUBMITTED),
        "report_pending": bool(report and report.status == ReviewStatus.SUBMITTED),
        "history": list(history_of(case)),
        "plan_return_form": forms.get("plan_return_form") or CommentForm(prefix="plan"),
        "report_return_form": forms.get("report_return_form") or CommentForm(prefix="report"),
        "deadline_form": forms.get("deadline_form")
        or DeadlineForm(obligations=_open_obligations(case)),
        "follow_up_form": forms.get("follow_up_form")
        or FollowUpForm(initial={"held_on": timezone.localdate()}),
        "open_form": forms.get("open_form", ""),
    }
    return render(request, "rectification/case.html", context, status=status)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def case(request, pk):
    return _case_page(request, cases.get_case_for_user(request.user, pk))


def _to_case(case):
    return redirect("rectification:case", pk=case.pk)


@roles_required(Role.OFFICE)
@require_POST
def case_plan_accept(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    try:
        cases.accept_plan(actor=request.user, case=case)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已通过整改方案，并通知了评议对象。")
    return _to_case(case)


@roles_required(Role.OFFICE)
@require_POST
def case_plan_return(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    form = CommentForm(request.POST, prefix="plan")
    if form.is_valid():
        try:
            cases.return_plan(actor=request.user, case=case, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已退回整改方案，评议对象会收到修改意见。")
            return _to_case(case)
    return _case_page(request, case, plan_return_form=form, open_form="plan-return")


@roles_required(Role.OFFICE)
@require_POST
def case_report_accept(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    try:
        cases.accept_report(actor=request.user, case=case)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已通过整改报告，可以安排整改满意度测评。")
    return _to_case(case)


@roles_required(Role.OFFICE)
@require_POST
def case_report_return(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    form = CommentForm(request.POST, prefix="report")
    if form.is_valid():
        try:
            cases.return_report(actor=request.user, case=case, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已退回整改报告，评议对象会收到修改意见。")
            return _to_case(case)
    return _case_page(request, case, report_return_form=form, open_form="report-return")


@roles_required(Role.OFFICE)
@require_POST
def case_deadline(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    if case.review.phase == Phase.ARCHIVED:
        # The page hides these forms once archived; say why the post changed nothing.
        messages.error(request, ARCHIVED_MESSAGE)
        return _to_case(case)
    form = DeadlineForm(request.POST, obligations=_open_obligations(case))
    if form.is_valid():
        data = form.cleaned_data
        try:
            cases.move_deadline(
                actor=request.user,
                obligation=data["obligation"],
                due_on=data["due_on"],
                reason=data["reason"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已调整时限，提醒将按新的截止日期发送。")
            return _to_case(case)
    return _case_page(request, case, deadline_form=form, open_form="deadline")


@roles_required(Role.OFFICE)
@require_POST
def case_follow_up(request, pk):
    case = cases.get_case_for_user(request.user, pk)
    if case.review.phase == Phase.ARCHIVED:
        # The page hides these forms once archived; say why the post changed nothing.
        messages.error(request, ARCHIVED_MESSAGE)
        return _to_case(case)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            cases.record_follow_up(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已记录跟踪监督情况。")
            return _to_case(case)
    return _case_page(request, case, follow_up_form=form, open_form="follow-up")


# --- the ledger ------------------------------------------------------------------------------


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def ledger_page(request, pk):
    review = get_review_for_user(request.user, pk)
    form = LedgerFilterForm(request.GET or None, review=review)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    every = ledger.ledger_rows(review)
    rows = every
    if any(filters.values()):
        rows = ledger.ledger_rows(
            review,
            subject=filters.get("subject"),
            status=filters.get("status") or None,
            overdue=filters.get("overdue") or None,
            category=filters.get("category") or None,
        )
    summary = ledger.progress(review, every)
    is_office = has_role(request.user, Role.OFFICE)
    return render(
        request,
        "rectification/ledger.html",
        {
            "review": review,
            "form": form,
            "rows": rows,
            "total_rows": len(every),
            "filtered": bool(any(filters.values())),
            "summary": summary,
            "is_office": is_office,
            "published": ledger.is_published(review),
            "can_publish": is_office and review.phase == Phase.RECTIFY,
            "can_unpublish": is_office and review.phase != Phase.ARCHIVED,
            "overdue_count": sum(1 for r in every if r.overdue),
        },
    )


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def ledger_xlsx(request, pk):
    review = get_review_for_user(request.user, pk)
    content = ledger.ledger_workbook(review)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(content, f"{review.title}整改台账{stamp}.xlsx")


@roles_required(Role.OFFICE)
@require_POST
def ledger_publish(request, pk):
    review = get_review_for_user(request.user, pk)
    try:
        ledger.publish_ledger(actor=request.user, review=review)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已在公示页面公开各评议对象的整改情况。")
    return redirect("rectification:ledger", pk=review.pk)


@roles_required(Role.OFFICE)
@require_POST
def ledger_unpublish(request, pk):
    review = get_review_for_user(request.user, pk)
    try:
        ledger.unpublish_ledger(actor=request.user, review=review)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已从公示页面撤回整改情况。")
    return redirect("rectification:ledger", pk=review.pk)


# --- the holiday calendar ----------------------------------------------------------------------


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _holidays_page(request, *, year, add_form=None, import_form=None, status=200):
    years = sorted(
        {d.year for d in Holiday.objects.dates("day", "year")} | {year, timezone.localdate().year}
    )
    days = list(Holiday.objects.filter(day__year=year).order_by("day"))
    counts = Holiday.objects.filter(day__year=year).aggregate(
        rest=Count("id", filter=Q(is_workday=False)), work=Count("id", filter=Q(is_workday=True))
    )
    return render(
        request,
        "rectification/holidays.html",
        {
            "year": year,
            "years": years,
            "days": days,
            "counts": counts,
            "add_form": add_form or HolidayForm(),
            "import_form": import_form or HolidayImportForm(),
        },
        status=status,
    )


def _to_holidays(year):
    return redirect(f"{reverse('rectification:holidays')}?year={year}")


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def holidays_page(request):
    year = _year(request)
    if request.method == "GET":
        return _holidays_page(request, year=year)
    form = HolidayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            holiday = holidays.add_holiday(
                actor=request.user,
                day=data["day"],
                name=data["name"],
                is_workday=data["is_workday"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已添加 {holiday}。")
            return _to_holidays(holiday.day.year)
    return _holidays_page(request, year=year, add_form=form)


@roles_required(Role.OFFICE)
@require_POST
def holidays_import(request):
    year = _year(request)
    form = HolidayImportForm(request.POST)
    if form.is_valid():
        try:
            count = holidays.import_year(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已导入 {count} 天的节假日安排。")
            return _to_holidays(year)
    return _holidays_page(request, year=year, import_form=form)


@roles_required(Role.OFFICE)
@require_POST
def holiday_delete(request, pk):
    holiday = get_object_or_404(Holiday, pk=pk)
    year = holiday.day.year
    try:
        holidays.remove_holiday(actor=request.user, holiday=holiday)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已删除。")
    return _to_holidays(year)
