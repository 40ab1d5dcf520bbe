"""The official's rectification pages (namespace "rectification"), and the case's files,
which the office and the council download too."""

from django.urls import path

from . import views_case_official as views

urlpatterns = [
    path("my/cases/<int:pk>/", views.official_case, name="official_case"),
    path("my/cases/<int:pk>/plan/", views.official_case_plan, name="official_case_plan"),
    path("my/cases/<int:pk>/report/", views.official_case_report, name="official_case_report"),
    path(
        "my/cases/<int:pk>/report/items/<int:item_id>/evidence/",
        views.official_case_evidence,
        name="official_case_evidence",
    ),
    path(
        "my/cases/<int:pk>/evidence/<int:evidence_id>/remove/",
        views.official_case_evidence_remove,
        name="official_case_evidence_remove",
    ),
    path(
        "cases/<int:pk>/files/<str:kind>/<int:file_id>/",
        views.case_file,
        name="official_case_file",
    ),
]
