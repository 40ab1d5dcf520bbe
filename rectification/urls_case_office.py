"""The office's rectification pages (namespace "rectification"): a case, the ledger, the
holiday calendar."""

from django.urls import path

from . import views_case_office as views

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/plan/accept/", views.case_plan_accept, name="case_plan_accept"),
    path("cases/<int:pk>/plan/return/", views.case_plan_return, name="case_plan_return"),
    path("cases/<int:pk>/report/accept/", views.case_report_accept, name="case_report_accept"),
    path("cases/<int:pk>/report/return/", views.case_report_return, name="case_report_return"),
    path("cases/<int:pk>/deadline/", views.case_deadline, name="case_deadline"),
    path("cases/<int:pk>/follow-up/", views.case_follow_up, name="case_follow_up"),
    path("reviews/<int:pk>/ledger/", views.ledger_page, name="ledger"),
    path("reviews/<int:pk>/ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("reviews/<int:pk>/ledger/publish/", views.ledger_publish, name="ledger_publish"),
    path("reviews/<int:pk>/ledger/unpublish/", views.ledger_unpublish, name="ledger_unpublish"),
    path("holidays/", views.holidays_page, name="holidays"),
    path("holidays/import/", views.holidays_import, name="holidays_import"),
    path("holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
]
