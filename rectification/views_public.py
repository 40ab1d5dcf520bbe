"""Published documents on the public pages (no login). Only documents the office published,
of a review that is published; anything else answers 404 like a missing page. The page
shows the public version: what the office marked internal is left out, and so are the
finding codes, which only mean something inside the committee."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from subjects.access import public
from subjects.files import serve_private

from . import documents, selectors
from .models import RenderStatus
from .views_office import pdf_filename


def _published(pk):
    document = selectors.get_public_document(pk)
    if document is None:
        raise Http404
    return document


@public
@require_GET
def public_document(request, pk):
    document = _published(pk)
    has_internal = selectors.has_internal(document)
    return render(
        request,
        "rectification/public_document.html",
        {
            "document": document,
            "review": document.review,
            "blocks": documents.display_blocks(documents.public_blocks(document)),
            "has_internal": has_internal,
            "pdf_ready": not has_internal
            and bool(document.pdf)
            and document.render_status == RenderStatus.DONE,
        },
    )


@public
@require_GET
def public_document_pdf(request, pk):
    document = _published(pk)
    # The stored PDF is the full text: it is public only when nothing in it is internal.
    if selectors.has_internal(document) or not document.pdf:
        raise Http404
    if document.render_status != RenderStatus.DONE:
        raise Http404
    return serve_private(document.pdf, pdf_filename(document))
