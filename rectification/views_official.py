"""The reviewed official's (and unit contact's) issued documents: read, download, 签收.
Another official's document is a 404, exactly like one that does not exist (R10)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from subjects.access import roles_required
from subjects.files import serve_private
from subjects.forms import report_refusal
from subjects.roles import Role

from . import documents, wording
from .deadlines import add_months
from .models import RenderStatus
from .views_office import pdf_filename


def _own(request, pk):
    document = documents.get_document_for_user(request.user, pk)
    if document.subject_id is None:
        raise Http404
    return document


@roles_required(Role.OFFICIAL)
@require_GET
def official_document(request, pk):
    document = _own(request, pk)
    plan_months, report_months, _ = wording.periods(document.review)
    received = document.received_on
    return render(
        request,
        "rectification/official_document.html",
        {
            "document": document,
            "subject": document.subject,
            "review": document.review,
            "blocks": documents.display_blocks(document.body),
            "plan_months": plan_months,
            "report_months": report_months,
            "plan_due": add_months(received, plan_months) if received else None,
            "report_due": add_months(received, report_months) if received else None,
            "acknowledged": received is not None and not document.receipt_recorded,
            "pdf_ready": bool(document.pdf) and document.render_status == RenderStatus.DONE,
        },
    )


@roles_required(Role.OFFICIAL)
@require_GET
def official_document_pdf(request, pk):
    document = _own(request, pk)
    if not document.pdf or document.render_status != RenderStatus.DONE:
        raise Http404
    return serve_private(document.pdf, pdf_filename(document))


@roles_required(Role.OFFICIAL)
@require_POST
def official_acknowledge(request, pk):
    document = _own(request, pk)
    try:
        document = documents.acknowledge(actor=request.user, document=document)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        received = wording.date_cn(document.received_on)
        messages.success(request, f"已签收。整改时限自{received}起算。")
    return redirect("rectification:official_document", pk=document.pk)
