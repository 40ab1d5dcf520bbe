"""The office's 发放 pages of a questionnaire: invitation batches (slips as a PDF, emails,
deputies' accounts) and reminders, the open link and its poster, the paper questionnaire,
keying in paper forms and the count of forms received.

Views stay thin: a permission-checking fetcher, a form, one service of
`surveys.distribution`, then a redirect (PRG) or the page again with the refusal.
"""

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subjects.access import roles_required
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role
from subjects.widgets import bootstrap

from . import distribution, pdf
from .builder import get_questionnaire_for_user
from .forms_distribute import AccountsForm, EmailForm, PaperReceivedForm, SlipsForm
from .models import InvitationBatch, QuestionKind
from .responses import load_structure, parse_answers

Delivery = InvitationBatch.Delivery


def _pdf_response(content: bytes, filename: str, *, no_store: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store" if no_store else "private, no-cache"
    return response


def _filename(questionnaire, what: str) -> str:
    title = "".join(c for c in questionnaire.title if c not in '\\/:*?"<>|')[:40]
    return f"{title}-{what}-{timezone.localdate():%Y%m%d}.pdf"


def _qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=8, border=2)


# --- the 发放 page ------------------------------------------------------------------------------


def _distribution_page(request, questionnaire, *, active="slips", status=200, **forms):
    slips = forms.get("slips") or SlipsForm()
    email = forms.get("email") or EmailForm()
    accounts = forms.get("accounts") or AccountsForm()
    received = forms.get("received") or PaperReceivedForm(
        initial={"paper_received": questionnaire.paper_received}
    )
    for form in (slips, email, received):
        bootstrap(form)
    accounts.fields["label"].widget.attrs["class"] = "form-control" + (
        " is-invalid" if accounts.is_bound and "label" in accounts.errors else ""
    )
    deputies = list(accounts.fields["users"].queryset)
    checked = {str(v) for v in (accounts["users"].value() or [])}
    return render(
        request,
        "surveys/distribute/distribution.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "batches": distribution.batches_of(questionnaire),
            "slips_form": slips,
            "email_form": email,
            "accounts_form": accounts,
            "deputies": deputies,
            "checked": checked,
            "scope": accounts["scope"].value() or AccountsForm.ALL,
            "received_form": received,
            "paper": distribution.paper_count(questionnaire),
            "open_url": distribution.absolute(distribution.open_link_path(questionnaire)),
            "active": active,
        },
        status=status,
    )


@roles_required(Role.OFFICE)
@require_GET
def distribution_page(request, pk):
    questionnaire = get_questionnaire_for_user(request.user, pk)
    return _distribution_page(request, questionnaire, active=request.GET.get("tab", "slips"))


@roles_required(Role.OFFICE)
@require_POST
def batch_create(request, pk):
    """One POST per delivery. Slips answer with the PDF itself: the codes exist nowhere else."""
    questionnaire = get_questionnaire_for_user(request.user, pk)
    delivery = request.POST.get("delivery")
    if delivery == Delivery.SLIPS:
        form = SlipsForm(request.POST)
        if form.is_valid():
            try:
                batch, codes = distribution.issue_slips(
                    actor=request.user, questionnaire=questionnaire, **form.cleaned_data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                content = pdf.slips_pdf(questionnaire, codes, label=batch.label)
                return _pdf_response(
                    content, _filename(questionnaire, f"邀请条-第{batch.pk}批"), no_store=True
                )
        return _distribution_page(request, questionnaire, active="slips", slips=form)
    if delivery == Delivery.EMAIL:
        form = EmailForm(request.POST)
        if form.is_valid():
            try:
                batch = distribution.issue_emails(
                    actor=request.user,
                    questionnaire=questionnaire,
                    label=form.cleaned_data["label"],
                    emails=form.cleaned_data["emails"],
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(
                    request, f"已生成 {batch.count} 个邮件邀请，系统正在逐一发送邀请邮件。"
                )
                return redirect("surveys:distribution", pk=questionnaire.pk)
        return _distribution_page(request, questionnaire, active="email", email=form)
    if delivery == Delivery.ACCOUNTS:
        form = AccountsForm(request.POST)
        if form.is_valid():
            try:
                batch = distribution.issue_accounts(
                    actor=request.user,
                    questionnaire=questionnaire,
                    label=form.cleaned_data["label"],
                    users=form.recipients(),
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(
                    request,
                    f"已向 {batch.count} 位代表发出问卷邀请，他们登录后可在“我的问卷”中填写。",
                )
                return redirect("surveys:distribution", pk=questionnaire.pk)
        return _distribution_page(request, questionnaire, active="accounts", accounts=form)
    messages.error(request, "请选择发放方式。")
    return redirect("surveys:distribution", pk=questionnaire.pk)


@roles_required(Role.OFFICE)
@require_POST
def batch_void(request, pk):
    batch = distribution.get_batch_for_office(request.user, pk)
    try:
        distribution.void(actor=request.user, batch=batch)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已作废邀请批次“{batch.label}”，其中未使用的邀请码不能再填写。")
    return redirect("surveys:distribution", pk=batch.questionnaire_id)


@roles_required(Role.OFFICE)
@require_POST
def batch_remind(request, pk):
    batch = distribution.get_batch_for_office(request.user, pk)
    try:
        count = distribution.remind(actor=request.user, batch=batch)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已向“{batch.label}”中尚未填写的 {count} 人发送提醒。")
    return redirect("surveys:distribution", pk=batch.questionnaire_id)


# --- the open link ------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def open_link(request, pk):
    questionnaire = get_questionnaire_for_user(request.user, pk)
    if request.method == "POST":
        enabled = request.POST.get("enabled") == "1"
        distribution.set_open_link(actor=request.user, questionnaire=questionnaire, enabled=enabled)
        messages.success(
            request,
            "已开启公开链接，任何人都可以通过链接或二维码填写。"
            if enabled
            else "已关闭公开链接，通过链接或二维码不能再填写。",
        )
        return redirect("surveys:open_link", pk=questionnaire.pk)
    url = distribution.absolute(distribution.open_link_path(questionnaire))
    return render(
        request,
        "surveys/distribute/open_link.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "url": url,
            "qr": _qr_data_uri(url),
        },
    )


@roles_required(Role.OFFICE)
@require_GET
def open_link_poster(request, pk):
    questionnaire = get_questionnaire_for_user(request.user, pk)
    return _pdf_response(pdf.poster_pdf(questionnaire), _filename(questionnaire, "二维码"))


# --- paper ----------------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def paper_pdf(request, pk):
    questionnaire = get_questionnaire_for_user(request.user, pk)
    content = pdf.paper_pdf(questionnaire, load_structure(questionnaire))
    return _pdf_response(content, _filename(questionnaire, "纸质问卷"))


SELECT_KINDS = (QuestionKind.SATISFACTION, QuestionKind.MATRIX, QuestionKind.SINGLE)


def _entry_structure(questionnaire, data=None, errors=None):
    """The structure with what the entry screen needs on each question and cell: numbered
    options (typing 1, 2, 3 in a focused select picks them), the value typed, the error."""
    structure = load_structure(questionnaire)
    errors = errors or {}
    number = 0
    first = None
    for section in structure:
        for view in section.questions:
            number += 1
            view.number = number
            question = view.question
            if question.kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX):
                view.entry_choices = [
                    (choice.value, f"{i} {choice.label}")
                    for i, choice in enumerate(question.scale, start=1)
                ]
            elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                view.entry_choices = [
                    (str(i), f"{i + 1} {option}") for i, option in enumerate(question.options)
                ]
            else:
                view.entry_choices = []
            for cell in view.cells:
                cell.error = errors.get(cell.name, "")
                # Focus goes to the first field, or after a refusal to the first error.
                if first is None and (cell.error or not errors):
                    first = cell.name
                    cell.first = True
                if data is None:
                    cell.value, cell.values = "", []
                else:
                    cell.value = data.get(cell.name, "")
                    cell.values = data.getlist(cell.name)
    return structure


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def paper_entry(request, pk):
    """Keying in paper forms, one after another: a saved form gives a fresh empty one."""
    questionnaire = get_questionnaire_for_user(request.user, pk)
    errors: dict[str, str] = {}
    data = None
    refusal = []
    allow_blank = False
    if request.method == "POST":
        data = request.POST
        allow_blank = data.get("allow_blank") == "1"
        structure = load_structure(questionnaire)
        if allow_blank:
            # A respondent may leave a required question blank on paper: key the form as it is.
            for section in structure:
                for view in section.questions:
                    view.question.required = False
        rows, errors = parse_answers(structure, data)
        if not errors and not rows:
            refusal = ["这份问卷一题都没有填写，不能保存；空白问卷请不要录入。"]
        elif not errors:
            try:
                entered = distribution.enter_paper(
                    actor=request.user, questionnaire=questionnaire, rows=rows
                )
            except ValidationError as error:
                refusal = error.messages
            else:
                messages.success(request, f"已录入第 {entered} 份。")
                return redirect("surveys:paper_entry", pk=questionnaire.pk)
    structure = _entry_structure(questionnaire, data, errors)
    return render(
        request,
        "surveys/distribute/paper_entry.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "structure": structure,
            "errors": errors,
            "refusal": refusal,
            "allow_blank": allow_blank,
            "paper": distribution.paper_count(questionnaire),
            "received_form": bootstrap(
                PaperReceivedForm(initial={"paper_received": questionnaire.paper_received})
            ),
            "next_url": reverse("surveys:paper_entry", args=[questionnaire.pk]),
        },
        status=200,
    )


@roles_required(Role.OFFICE)
@require_POST
def paper_received(request, pk):
    questionnaire = get_questionnaire_for_user(request.user, pk)
    form = PaperReceivedForm(request.POST)
    back = request.POST.get("next")
    if back != reverse("surveys:paper_entry", args=[questionnaire.pk]):
        back = None
    if form.is_valid():
        try:
            questionnaire = distribution.set_paper_received(
                actor=request.user,
                questionnaire=questionnaire,
                received=form.cleaned_data["paper_received"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, distribution.paper_count(questionnaire).text)
            return redirect(back or reverse("surveys:distribution", args=[questionnaire.pk]))
    return _distribution_page(request, questionnaire, active="paper", received=form)
