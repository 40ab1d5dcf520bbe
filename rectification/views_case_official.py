"""The reviewed official's (and unit contact's) rectification pages: the case clock, the
整改方案 (四定 per item) and each round's 整改落实情况报告 with evidence.

Every case is fetched with `cases.get_case_for_user`: another official's case is a 404,
exactly like one that does not exist (R10). The services in `cases.py` hold every rule; these
views parse the input, check uploads by content (R14) and show refusals on the form with
everything typed kept (R23).

`resolve_case_file` / `case_file` also serve the office and the council, who review the plan
and the reports on their own case page.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subjects.access import roles_required
from subjects.files import serve_private, stored_name_for, validate_document
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role

from . import cases
from .forms_case_official import EvidenceForm, PlanForm, PlanItemForm, ProgressForm, ReportForm
from .models import (
    CaseStatus,
    Evidence,
    ItemProgress,
    Obligation,
    ObligationKind,
    RectificationCase,
    RectificationItem,
    RectificationPlan,
    RectificationReport,
    RectificationRound,
)

# --- the clock -----------------------------------------------------------------------------


@dataclass
class Due:
    """A deadline as the official sees it: when, and how many days are left or overdue."""

    label: str
    due_on: date
    done: bool
    days_left: int

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.overdue else 0


def due_of(obligation: Obligation | None, today: date | None = None) -> Due | None:
    if obligation is None:
        return None
    today = today or timezone.localdate()
    return Due(
        label=obligation.get_kind_display(),
        due_on=obligation.due_on,
        done=obligation.fulfilled_at is not None,
        days_left=(obligation.due_on - today).days,
    )


def _rounds(case: RectificationCase) -> list[RectificationRound]:
    """Every round with its report and deadlines, in two queries."""
    return list(
        case.rounds.select_related("report", "notice")
        .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.order_by("due_on")))
        .order_by("number")
    )


def _obligation(round_: RectificationRound, kind: str) -> Obligation | None:
    return next((o for o in round_.obligations.all() if o.kind == kind), None)


def _case(request, pk) -> RectificationCase:
    return cases.get_case_for_user(request.user, pk)


def _is_open(case: RectificationCase) -> bool:
    return case.status == CaseStatus.OPEN


# --- the case page -------------------------------------------------------------------------


@roles_required(Role.OFFICIAL)
@require_GET
def official_case(request, pk):
    case = _case(request, pk)
    plan = RectificationPlan.objects.get(case=case)
    rounds = _rounds(case)
    current = rounds[-1]
    today = timezone.localdate()
    plan_due = due_of(_obligation(rounds[0], ObligationKind.PLAN), today)
    report_due = due_of(_obligation(current, ObligationKind.REPORT), today)
    return render(
        request,
        "rectification/official_case.html",
        {
            "case": case,
            "subject": case.subject,
            "review": case.review,
            "plan": plan,
            "items": list(case.items.all()),
            "rounds": rounds,
            "current": current,
            "report": current.report,
            "plan_due": plan_due,
            "report_due": report_due,
            "is_open": _is_open(case),
        },
    )


# --- the plan ------------------------------------------------------------------------------


def _all_valid(forms) -> bool:
    """Validate every form (so each shows its errors), not just up to the first bad one."""
    results = [form.is_valid() for form in forms]
    return all(results)


def _checked_upload(form, field: str, actor):
    """The form's uploaded file, checked by content and renamed with its detected type, or
    None; a refusal goes on the field (and is logged as a security event by the checker)."""
    uploaded = form.cleaned_data.get(field)
    if not uploaded:
        return None
    try:
        kind = validate_document(uploaded, actor=actor)
    except ValidationError as error:
        form.add_error(field, error.messages)
        return None
    uploaded.name = stored_name_for(kind, uploaded.name)
    return uploaded


def _save_then_submit(request, form, case, *, save, submit, submitted, saved, url):
    """Save the draft and, with the 提交 button, submit it. The redirect on success; None when
    a service refused, its message put on the form (what was saved stays saved)."""
    submitting = "submit" in request.POST
    try:
        save()
        if submitting:
            submit()
    except ValidationError as error:
        errors_into_form(form, error)
        return None
    if submitting:
        messages.success(request, submitted)
        return redirect("rectification:official_case", pk=case.pk)
    messages.success(request, saved)
    return redirect(url)


@roles_required(Role.OFFICIAL)
@require_http_methods(["GET", "POST"])
def official_case_plan(request, pk):
    case = _case(request, pk)
    plan = RectificationPlan.objects.get(case=case)
    items = list(case.items.all())
    editable = plan.editable and _is_open(case)
    url = reverse("rectification:official_case_plan", args=[case.pk])
    if request.method == "POST":
        if not editable:
            messages.error(request, f"整改方案{plan.get_status_display()}，不能修改。")
            return redirect(url)
        form = PlanForm(request.POST, request.FILES)
        rows = [
            (item, PlanItemForm(request.POST, prefix=f"item-{item.pk}", auto_id="id_%s"))
            for item in items
        ]
        valid = _all_valid([form, *(f for _, f in rows)])
        upload = _checked_upload(form, "file", request.user) if valid else None
        if valid and not form.errors:
            done = _save_then_submit(
                request,
                form,
                case,
                save=lambda: cases.save_plan(
                    actor=request.user,
                    case=case,
                    summary=form.cleaned_data["summary"].strip(),
                    items={item.pk: f.cleaned_data for item, f in rows},
                    file=upload,
                ),
                submit=lambda: cases.submit_plan(actor=request.user, case=case),
                submitted="整改方案已提交，请等待评议办审核。",
                saved="整改方案已保存。",
                url=url,
            )
            if done:
                return done
            plan.refresh_from_db()
    else:
        form = PlanForm(initial={"summary": plan.summary})
        rows = [
            (
                item,
                PlanItemForm(
                    prefix=f"item-{item.pk}",
                    auto_id="id_%s",
                    initial={
                        "measures": item.measures,
                        "responsible": item.responsible,
                        "due_on": item.due_on,
                        "standard": item.standard,
                    },
                ),
            )
            for item in items
        ]
    return render(
        request,
        "rectification/official_case_plan.html",
        {
            "case": case,
            "subject": case.subject,
            "review": case.review,
            "plan": plan,
            "form": form,
            "rows": rows,
            "editable": editable,
            "plan_due": due_of(cases.obligation_of(_first_round(case), ObligationKind.PLAN)),
        },
    )


def _first_round(case: RectificationCase) -> RectificationRound:
    return case.rounds.get(number=1)


# --- the report of the current round -------------------------------------------------------


def _report_rows(report: RectificationReport) -> list[ItemProgress]:
    return list(
        report.progress.select_related("item")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("id")))
        .order_by("item__order", "item_id")
    )


@roles_required(Role.OFFICIAL)
@require_http_methods(["GET", "POST"])
def official_case_report(request, pk):
    case = _case(request, pk)
    round_ = cases.current_round(case)
    report = RectificationReport.objects.get(round=round_)
    progress = _report_rows(report)
    editable = report.editable and _is_open(case)
    url = reverse("rectification:official_case_report", args=[case.pk])
    if request.method == "POST":
        if not editable:
            messages.error(request, f"整改报告{report.get_status_display()}，不能修改。")
            return redirect(url)
        form = ReportForm(request.POST, request.FILES)
        rows = [
            (row, ProgressForm(request.POST, prefix=f"item-{row.item_id}", auto_id="id_%s"))
            for row in progress
        ]
        valid = _all_valid([form, *(f for _, f in rows)])
        upload = _checked_upload(form, "file", request.user) if valid else None
        if valid and not form.errors:
            done = _save_then_submit(
                request,
                form,
                case,
                save=lambda: cases.save_report(
                    actor=request.user,
                    case=case,
                    summary=form.cleaned_data["summary"].strip(),
                    progress={
                        row.item_id: {
                            "status": f.cleaned_data["status"],
                            "explanation": f.cleaned_data["explanation"].strip(),
                        }
                        for row, f in rows
                    },
                    file=upload,
                ),
                submit=lambda: cases.submit_report(actor=request.user, case=case),
                submitted="整改落实情况报告已提交，请等待评议办审核。",
                saved="整改报告已保存。",
                url=url,
            )
            if done:
                return done
            report.refresh_from_db()
    else:
        form = ReportForm(initial={"summary": report.summary})
        rows = [
            (
                row,
                ProgressForm(
                    prefix=f"item-{row.item_id}",
                    auto_id="id_%s",
                    initial={"status": row.status, "explanation": row.explanation},
                ),
            )
            for row in progress
        ]
    return render(
        request,
        "rectification/official_case_report.html",
        {
            "case": case,
            "subject": case.subject,
            "review": case.review,
            "round": round_,
            "report": report,
            "form": form,
            "rows": rows,
            "editable": editable,
            "evidence_form": EvidenceForm(auto_id=False),
            "report_due": due_of(cases.obligation_of(round_, ObligationKind.REPORT)),
        },
    )


@roles_required(Role.OFFICIAL)
@require_POST
def official_case_evidence(request, pk, item_id):
    case = _case(request, pk)
    item = RectificationItem.objects.filter(case=case, pk=item_id).first()
    if item is None:
        raise Http404
    back = reverse("rectification:official_case_report", args=[case.pk]) + f"#item-{item.pk}"
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, f"第{item.order}项佐证材料未上传：{error}")
        return redirect(back)
    upload = _checked_upload(form, "file", request.user)
    if upload is None:
        for error in form.errors.get("file", []):
            messages.error(request, f"第{item.order}项佐证材料未上传：{error}")
        return redirect(back)
    try:
        evidence = cases.add_evidence(actor=request.user, case=case, item=item, file=upload)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已上传第{item.order}项佐证材料《{evidence.name}》。")
    return redirect(back)


@roles_required(Role.OFFICIAL)
@require_POST
def official_case_evidence_remove(request, pk, evidence_id):
    case = _case(request, pk)
    evidence = (
        Evidence.objects.select_related("progress__item", "progress__report")
        .filter(pk=evidence_id, progress__report__round__case=case)
        .first()
    )
    if evidence is None:
        raise Http404
    back = (
        reverse("rectification:official_case_report", args=[case.pk])
        + f"#item-{evidence.progress.item_id}"
    )
    try:
        cases.remove_evidence(actor=request.user, case=case, evidence=evidence)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已删除佐证材料《{evidence.name}》。")
    return redirect(back)


# --- files (the official, the office and the council) --------------------------------------

FILE_KINDS = ("plan", "report", "evidence")


def resolve_case_file(case: RectificationCase, kind: str, file_id: int, *, user=None):
    """The stored file and download name of a case's plan document (`file_id` = the plan's
    id), a round's report document (the report's id) or an evidence file (its id); 404 when
    it does not belong to `case`. The office and the council see a plan or report only
    once it has been submitted; the official's own drafts are theirs (pass `user`)."""
    own = user is None or cases.speaks_for(user, case)
    if kind == "plan":
        owner = RectificationPlan.objects.filter(case=case, pk=file_id).first()
        found = (owner.file, owner.file_name) if owner and owner.file else None
    elif kind == "report":
        owner = RectificationReport.objects.filter(round__case=case, pk=file_id).first()
        found = (owner.file, owner.file_name) if owner and owner.file else None
    elif kind == "evidence":
        evidence = (
            Evidence.objects.select_related("progress__report")
            .filter(progress__report__round__case=case, pk=file_id)
            .first()
        )
        owner = evidence.progress.report if evidence else None
        found = (evidence.file, evidence.name) if evidence else None
    else:
        raise Http404
    if found is None or (not own and not owner.submissions):
        raise Http404
    fieldfile, name = found
    return fieldfile, name or fieldfile.name.rsplit("/", 1)[-1]


def case_file_url(case: RectificationCase, kind: str, file_id: int) -> str:
    return reverse("rectification:official_case_file", args=[case.pk, kind, file_id])


@roles_required(Role.OFFICIAL, Role.OFFICE, Role.COUNCIL)
@require_GET
def case_file(request, pk, kind, file_id):
    case = _case(request, pk)
    fieldfile, name = resolve_case_file(case, kind, file_id, user=request.user)
    return serve_private(fieldfile, name)
