"""The office's pages of 评议意见 and official documents, and the reading pages the council
shares with it (an opinion, a document).

Views are thin: they fetch through the permission-checking fetchers (404 for what the user may
not see), parse a form, call one service of `opinions` or `documents` and redirect (PRG), or
re-render the form with the service's refusal and everything the user typed (R23).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.models import Subject
from reviews.selectors import get_review_for_user
from subjects.access import roles_required
from subjects.files import serve_private
from subjects.forms import errors_into_form, report_refusal
from subjects.roles import Role, has_role
from surveys.models import Finding

from . import documents, drafts, opinions, selectors
from .forms import (
    ApproveForm,
    ClauseFormSet,
    DeliveryForm,
    DocumentForm,
    IssueDocumentForm,
    IssueOpinionForm,
    OpinionForm,
    OrganForm,
    ReturnForm,
    finding_label,
)
from .models import (
    Document,
    DocumentKind,
    DocumentStatus,
    IssuingOrgan,
    OpinionStatus,
    OpinionVersion,
    RenderStatus,
)

CLAUSES = "clauses"


def pdf_filename(document: Document) -> str:
    title = document.title.replace("\n", "")
    return f"{document.reference} {title}.pdf" if document.reference else f"{title}.pdf"


# --- the review's documents page ------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def review_documents(request, pk):
    review = get_review_for_user(request.user, pk)
    rows = selectors.opinion_rows(review)
    counts = dict.fromkeys(("", *OpinionStatus.values), 0)
    for row in rows:
        counts[row.status] += 1
    return render(
        request,
        "rectification/review_documents.html",
        {
            "review": review,
            "rows": rows,
            "counts": counts,
            "not_opened": counts[""],
            "approved": counts[OpinionStatus.APPROVED],
            "documents": list(selectors.other_documents(review)),
            "creatable": [(kind.value, kind.label) for kind in selectors.CREATABLE_KINDS],
            "obligation": selectors.party_report_obligation(review),
            "can_draft": review.phase in documents.DRAFT_PHASES,
        },
    )


def _to_documents(review_pk):
    return redirect("rectification:review_documents", pk=review_pk)


@roles_required(Role.OFFICE)
@require_POST
def opinion_open(request, pk):
    subject = get_object_or_404(Subject.objects.select_related("review"), pk=pk)
    try:
        opinion = opinions.open_opinion(actor=request.user, subject=subject)
    except ValidationError as error:
        report_refusal(request, error)
        return _to_documents(subject.review_id)
    return redirect("rectification:opinion_edit", pk=opinion.pk)


@roles_required(Role.OFFICE)
@require_POST
def open_all(request, pk):
    review = get_review_for_user(request.user, pk)
    try:
        opened = opinions.open_all(actor=request.user, review=review)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        if opened:
            messages.success(request, f"已为 {opened} 个评议对象生成评议意见草稿。")
        else:
            messages.info(request, "每个评议对象都已有评议意见，没有新生成草稿。")
    return _to_documents(review.pk)


@roles_required(Role.OFFICE)
@require_POST
def issue_all(request, pk):
    review = get_review_for_user(request.user, pk)
    try:
        job = opinions.start_issue_all(actor=request.user, review=review)
    except ValidationError as error:
        report_refusal(request, error)
        return _to_documents(review.pk)
    return redirect("job", pk=job.pk)


# --- one opinion --------------------------------------------------------------------------------


def _opinion_page(
    request, opinion, *, issue_form=None, approve_form=None, return_form=None, status=200
):
    is_office = has_role(request.user, Role.OFFICE)
    is_council = has_role(request.user, Role.COUNCIL)
    versions = list(
        OpinionVersion.objects.filter(opinion=opinion).select_related("saved_by").defer("snapshot")
    )
    document = opinions.current_document(opinion)
    rules = getattr(opinion.review, "rules", None)
    return render(
        request,
        "rectification/opinion.html",
        {
            "opinion": opinion,
            "review": opinion.review,
            "subject": opinion.subject,
            "clauses": selectors.opinion_clauses(opinion),
            "versions": versions,
            "history": list(selectors.history_of(opinion)),
            "document": document,
            "is_office": is_office,
            "is_council": is_council,
            "can_edit": is_office and opinion.editable,
            # A refused form is shown with its message even when the status has moved on.
            "can_issue": is_office
            and (opinion.status == OpinionStatus.APPROVED or issue_form is not None),
            "can_decide": is_council
            and (
                opinion.status == OpinionStatus.SUBMITTED
                or approve_form is not None
                or return_form is not None
            ),
            "issue_form": issue_form or IssueOpinionForm(),
            "approve_form": approve_form or ApproveForm(),
            "return_form": return_form or ReturnForm(),
            "rules": rules,
        },
        status=status,
    )


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def opinion(request, pk):
    return _opinion_page(request, opinions.get_opinion_for_user(request.user, pk))


def _finding_choices(opinion):
    return [(f.pk, finding_label(f)) for f in selectors.subject_findings(opinion.subject)]


def _initial_clauses(opinion) -> list[dict]:
    return [
        {
            "text": clause.text,
            "internal": clause.internal,
            "findings": [f.pk for f in clause.findings.all()],
            "ORDER": index,
        }
        for index, clause in enumerate(selectors.opinion_clauses(opinion), start=1)
    ]


def _editor(request, opinion, form, formset, *, latest=None, status=200):
    return render(
        request,
        "rectification/opinion_edit.html",
        {
            "opinion": opinion,
            "review": opinion.review,
            "subject": opinion.subject,
            "form": form,
            "formset": formset,
            "latest": latest,
            "latest_clauses": selectors.opinion_clauses(latest) if latest else [],
        },
        status=status,
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def opinion_edit(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    if not opinion.editable:
        messages.error(request, f"评议意见{opinion.get_status_display()}，不能再修改。")
        return redirect("rectification:opinion", pk=opinion.pk)
    choices = _finding_choices(opinion)
    kwargs = {"prefix": CLAUSES, "form_kwargs": {"finding_choices": choices}}
    if request.method == "GET":
        form = OpinionForm(
            initial={
                "version": opinion.version,
                "title": opinion.title,
                "opening": opinion.opening,
                "overall": opinion.overall,
                "overall_internal": opinion.overall_internal,
                "requirements": opinion.requirements,
            }
        )
        formset = ClauseFormSet(initial=_initial_clauses(opinion), **kwargs)
        return _editor(request, opinion, form, formset)

    data = request.POST.copy()
    if "add_clause" in data:
        # "添加一条" without JS: the same typed form back with one more empty clause.
        total = int(data.get(f"{CLAUSES}-TOTAL_FORMS") or 0)
        data[f"{CLAUSES}-TOTAL_FORMS"] = str(min(total + 1, 100))
        return _editor(request, opinion, OpinionForm(data), ClauseFormSet(data, **kwargs))

    form = OpinionForm(data)
    formset = ClauseFormSet(data, **kwargs)
    if form.is_valid() and formset.is_valid():
        fields = form.cleaned_data
        try:
            opinion = opinions.save_opinion(
                actor=request.user,
                opinion=opinion,
                version=fields["version"],
                title=fields["title"],
                opening=fields["opening"],
                overall=fields["overall"],
                overall_internal=fields["overall_internal"],
                requirements=fields["requirements"],
                clauses=formset.clauses(),
            )
        except opinions.Conflict as error:
            # Keep what was typed; show the latest saved text beside it. The form now carries
            # the latest version, so saving again after merging is accepted.
            latest = opinions.get_opinion_for_user(request.user, opinion.pk)
            data["version"] = str(latest.version)
            form, formset = OpinionForm(data), ClauseFormSet(data, **kwargs)
            form.is_valid()
            formset.is_valid()
            errors_into_form(form, error)
            return _editor(request, latest, form, formset, latest=latest)
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已保存评议意见（第 {opinion.version} 稿）。")
            if "save_and_continue" in request.POST:
                return redirect("rectification:opinion_edit", pk=opinion.pk)
            return redirect("rectification:opinion", pk=opinion.pk)
    return _editor(request, opinion, form, formset)


@roles_required(Role.OFFICE)
@require_POST
def opinion_submit(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    try:
        opinions.submit(actor=request.user, opinion=opinion)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, "已提请主任会议审议。")
    return redirect("rectification:opinion", pk=opinion.pk)


@roles_required(Role.OFFICE)
@require_POST
def opinion_preview(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    job = documents.start_preview(actor=request.user, opinion_id=opinion.pk)
    return redirect("job", pk=job.pk)


@roles_required(Role.OFFICE)
@require_POST
def opinion_issue(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    form = IssueOpinionForm(request.POST)
    if form.is_valid():
        try:
            document = opinions.issue_opinion(
                actor=request.user,
                opinion=opinion,
                signed_on=form.cleaned_data["signed_on"],
                cc=form.cleaned_data["cc"].strip(),
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(
                request, f"已印发 {document.reference}，正式文件正在生成，评议对象会收到通知。"
            )
            return redirect("rectification:document", pk=document.pk)
    return _opinion_page(request, opinion, issue_form=form)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def opinion_version(request, pk, number):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    version = get_object_or_404(
        OpinionVersion.objects.select_related("saved_by"), opinion=opinion, number=number
    )
    snapshot = version.snapshot
    cited = {pk for clause in snapshot.get("clauses", []) for pk in clause.get("findings", [])}
    codes = {
        f.pk: f.code
        for f in Finding.objects.filter(pk__in=cited, subject_id=opinion.subject_id).select_related(
            "review"
        )
    }
    clauses = [
        {**clause, "codes": [codes[pk] for pk in clause.get("findings", []) if pk in codes]}
        for clause in snapshot.get("clauses", [])
    ]
    return render(
        request,
        "rectification/opinion_version.html",
        {
            "opinion": opinion,
            "review": opinion.review,
            "version": version,
            "snapshot": snapshot,
            "clauses": clauses,
            "is_current": version.number == opinion.version,
            "is_office": has_role(request.user, Role.OFFICE),
        },
    )


# --- other documents ----------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_POST
def document_create(request, pk, kind):
    review = get_review_for_user(request.user, pk)
    if kind not in selectors.CREATABLE_KINDS:
        raise Http404
    try:
        document = drafts.create_draft(actor=request.user, review=review, kind=kind)
    except ValidationError as error:
        report_refusal(request, error)
        return _to_documents(review.pk)
    messages.success(request, f"已起草{document.get_kind_display()}，请核对修改后印发。")
    return redirect("rectification:document_edit", pk=document.pk)


def _document_page(request, document, *, delivery_form=None, issue_form=None, status=200):
    is_office = has_role(request.user, Role.OFFICE)
    blocks = documents.display_blocks(document.body)
    return render(
        request,
        "rectification/document.html",
        {
            "document": document,
            "review": document.review,
            "blocks": blocks,
            "is_office": is_office,
            "show_codes": is_office or has_role(request.user, Role.COUNCIL),
            "has_internal": selectors.has_internal(document),
            "history": list(selectors.history_of(document)),
            "delivery_form": delivery_form
            or DeliveryForm(initial={"delivered_on": timezone.localdate()}),
            "issue_form": issue_form
            or IssueDocumentForm(initial={"signed_on": document.signed_on or timezone.localdate()}),
            "can_issue": is_office
            and document.status == DocumentStatus.DRAFT
            and document.kind != DocumentKind.OPINION,
            "render_failed": document.render_status == RenderStatus.FAILED,
        },
        status=status,
    )


def _document(request, pk) -> Document:
    return documents.get_document_for_user(request.user, pk)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def document(request, pk):
    return _document_page(request, _document(request, pk))


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def document_edit(request, pk):
    document = _document(request, pk)
    if document.status != DocumentStatus.DRAFT:
        messages.error(request, "公文已印发，不能再修改。")
        return redirect("rectification:document", pk=document.pk)
    if request.method == "POST":
        form = DocumentForm(request.POST)
        if form.is_valid():
            fields = form.cleaned_data
            try:
                documents.save_document(
                    actor=request.user,
                    document=document,
                    title=fields["title"],
                    recipients=fields["recipients"].strip(),
                    cc=fields["cc"].strip(),
                    signed_on=fields["signed_on"],
                    body_text=fields["body"],
                    organ=fields["organ"],
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "公文已保存。")
                return redirect("rectification:document", pk=document.pk)
    else:
        form = DocumentForm(
            initial={
                "title": document.title,
                "organ": document.organ_id,
                "recipients": document.recipients,
                "cc": document.cc,
                "signed_on": document.signed_on,
                "body": documents.text_from_blocks(document.body),
            }
        )
    return render(
        request,
        "rectification/document_edit.html",
        {"document": document, "review": document.review, "form": form},
    )


@roles_required(Role.OFFICE)
@require_POST
def document_issue(request, pk):
    document = _document(request, pk)
    form = IssueDocumentForm(request.POST)
    if form.is_valid():
        try:
            document = documents.issue_document(
                actor=request.user, document=document, signed_on=form.cleaned_data["signed_on"]
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已印发 {document.reference}，正式文件正在生成。")
            return redirect("rectification:document", pk=document.pk)
    return _document_page(request, document, issue_form=form)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def document_pdf(request, pk):
    document = _document(request, pk)
    if not document.pdf or document.render_status != RenderStatus.DONE:
        raise Http404
    return serve_private(document.pdf, pdf_filename(document))


def _document_step(request, pk, step, success: str):
    document = _document(request, pk)
    try:
        step(actor=request.user, document=document)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, success)
    return redirect("rectification:document", pk=document.pk)


@roles_required(Role.OFFICE)
@require_POST
def document_retry(request, pk):
    return _document_step(request, pk, documents.retry_render, "已重新排队生成正式文件。")


@roles_required(Role.OFFICE)
@require_POST
def document_publish(request, pk):
    return _document_step(request, pk, documents.publish, "公文已在评议公示页面公开。")


@roles_required(Role.OFFICE)
@require_POST
def document_unpublish(request, pk):
    return _document_step(request, pk, documents.unpublish, "已撤回公开。")


@roles_required(Role.OFFICE)
@require_POST
def document_delivery(request, pk):
    document = _document(request, pk)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            documents.record_delivery(
                actor=request.user,
                document=document,
                delivered_on=form.cleaned_data["delivered_on"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已登记送达日期，整改时限自该日起算。")
            return redirect("rectification:document", pk=document.pk)
    return _document_page(request, document, delivery_form=form)


@roles_required(Role.OFFICE)
@require_POST
def document_preview(request, pk):
    document = _document(request, pk)
    job = documents.start_preview(actor=request.user, document_id=document.pk)
    return redirect("job", pk=job.pk)


# --- issuing organs -------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def organs(request):
    documents.default_organ()  # the list is never empty: the default is made on first use
    return render(
        request,
        "rectification/organs.html",
        {"organs": list(IssuingOrgan.objects.annotate(document_count=Count("documents")))},
    )


def _organ_form(request, organ):
    if request.method == "POST":
        form = OrganForm(request.POST, instance=organ)
        if form.is_valid():
            try:
                saved = documents.save_organ(actor=request.user, organ=organ, **form.cleaned_data)
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已保存发文机关“{saved.name}”。")
                return redirect("rectification:organs")
    else:
        form = OrganForm(instance=organ)
    return render(request, "rectification/organ_form.html", {"form": form, "organ": organ})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def organ_edit(request, pk):
    return _organ_form(request, get_object_or_404(IssuingOrgan, pk=pk))


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def organ_new(request):
    return _organ_form(request, None)
