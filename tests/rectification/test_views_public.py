"""Published documents on the public pages: only what the office published, of a published
review; the public version leaves out internal blocks and finding codes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rectification import documents
from rectification.models import Document
from tests.rectification.test_views_office import issued_document, page
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


@pytest.fixture
def published(world, office_clerk, chair):
    world.review.published_at = timezone.now()
    world.review.save(update_fields=["published_at"])
    document = issued_document(world, office_clerk, chair)
    return documents.publish(actor=office_clerk, document=document)


@pytest.mark.django_db
def test_unpublished_documents_are_404(client, world, office_clerk, chair):
    document = issued_document(world, office_clerk, chair)
    for name in ("public_document", "public_document_pdf"):
        assert client.get(reverse(f"rectification:{name}", args=[document.pk])).status_code == 404
    # Published once, but the review's 公示 withdrawn: 404 as well.
    world.review.published_at = timezone.now()
    world.review.save(update_fields=["published_at"])
    documents.publish(actor=office_clerk, document=document)
    world.review.published_at = None
    world.review.save(update_fields=["published_at"])
    url = reverse("rectification:public_document", args=[document.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_public_page_and_pdf_without_login(client, published, world):
    url = reverse("rectification:public_document", args=[published.pk])
    response = client.get(url)
    assert response.status_code == 200
    text = page(response)
    assert published.reference in text and "（一）" in text
    assert "问题-2025-001" not in text  # finding codes are not public
    assert "抄送" not in text
    pdf = reverse("rectification:public_document_pdf", args=[published.pk])
    assert pdf in text
    response = client.get(pdf)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    review_page = page(client.get(reverse("reviews:public_review", args=[world.review.pk])))
    assert url in review_page and "评议意见与通报" in review_page


@pytest.mark.django_db
def test_internal_blocks_are_left_out_and_the_pdf_is_withheld(client, published):
    body = list(published.body)
    clause = next(b for b in body if b["kind"] == "clause")
    clause["internal"] = True
    Document.objects.filter(pk=published.pk).update(body=body)
    response = client.get(reverse("rectification:public_document", args=[published.pk]))
    text = page(response)
    assert clause["text"][:10] not in text
    assert "部分内容依规定不予公开" in text
    pdf = reverse("rectification:public_document_pdf", args=[published.pk])
    assert pdf not in text
    assert client.get(pdf).status_code == 404


@pytest.mark.django_db
def test_unpublishing_removes_it_from_the_review_page(client, published, world, office_clerk):
    documents.unpublish(actor=office_clerk, document=published)
    url = reverse("rectification:public_document", args=[published.pk])
    assert client.get(url).status_code == 404
    review_page = page(client.get(reverse("reviews:public_review", args=[world.review.pk])))
    assert url not in review_page
