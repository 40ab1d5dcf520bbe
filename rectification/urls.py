"""The pages of 评议意见 and official documents (namespace "rectification")."""

from django.urls import path

from . import (
    urls_archive,
    urls_case_office,
    urls_case_official,
    urls_vote,
    views_council,
    views_office,
    views_official,
    views_public,
)

app_name = "rectification"
urlpatterns = [
    # The office: a review's opinions and documents.
    path("reviews/<int:pk>/documents/", views_office.review_documents, name="review_documents"),
    path("reviews/<int:pk>/opinions/open-all/", views_office.open_all, name="open_all"),
    path("reviews/<int:pk>/opinions/issue-all/", views_office.issue_all, name="issue_all"),
    path(
        "reviews/<int:pk>/documents/new/<str:kind>/",
        views_office.document_create,
        name="document_create",
    ),
    path("subjects/<int:pk>/opinion/", views_office.opinion_open, name="opinion_open"),
    # One opinion (office and council).
    path("opinions/<int:pk>/", views_office.opinion, name="opinion"),
    path("opinions/<int:pk>/edit/", views_office.opinion_edit, name="opinion_edit"),
    path("opinions/<int:pk>/submit/", views_office.opinion_submit, name="opinion_submit"),
    path("opinions/<int:pk>/preview/", views_office.opinion_preview, name="opinion_preview"),
    path("opinions/<int:pk>/issue/", views_office.opinion_issue, name="opinion_issue"),
    path(
        "opinions/<int:pk>/versions/<int:number>/",
        views_office.opinion_version,
        name="opinion_version",
    ),
    path("opinions/<int:pk>/approve/", views_council.opinion_approve, name="opinion_approve"),
    path("opinions/<int:pk>/return/", views_council.opinion_return, name="opinion_return"),
    path("council/opinions/", views_council.council_opinions, name="council_opinions"),
    # One document (office and council).
    path("documents/<int:pk>/", views_office.document, name="document"),
    path("documents/<int:pk>/edit/", views_office.document_edit, name="document_edit"),
    path("documents/<int:pk>/issue/", views_office.document_issue, name="document_issue"),
    path("documents/<int:pk>/pdf/", views_office.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/retry/", views_office.document_retry, name="document_retry"),
    path("documents/<int:pk>/delivery/", views_office.document_delivery, name="document_delivery"),
    path("documents/<int:pk>/publish/", views_office.document_publish, name="document_publish"),
    path(
        "documents/<int:pk>/unpublish/", views_office.document_unpublish, name="document_unpublish"
    ),
    path("documents/<int:pk>/preview/", views_office.document_preview, name="document_preview"),
    path("documents/organs/", views_office.organs, name="organs"),
    path("documents/organs/new/", views_office.organ_new, name="organ_new"),
    path("documents/organs/<int:pk>/", views_office.organ_edit, name="organ_edit"),
    # The reviewed official: their own issued documents.
    path("my/documents/<int:pk>/", views_official.official_document, name="official_document"),
    path(
        "my/documents/<int:pk>/pdf/",
        views_official.official_document_pdf,
        name="official_document_pdf",
    ),
    path(
        "my/documents/<int:pk>/acknowledge/",
        views_official.official_acknowledge,
        name="official_acknowledge",
    ),
    # Published documents, no login.
    path("public/documents/<int:pk>/", views_public.public_document, name="public_document"),
    path(
        "public/documents/<int:pk>/pdf/",
        views_public.public_document_pdf,
        name="public_document_pdf",
    ),
]

# Phase 4 整改: cases, ledger, the satisfaction vote, the archive.
urlpatterns += (
    urls_case_official.urlpatterns
    + urls_case_office.urlpatterns
    + urls_vote.urlpatterns
    + urls_archive.urlpatterns
)
