"""述职报告: officials upload, the office accepts and distributes, members read. Included by
surveys/urls.py inside `app_name = "surveys"`."""

from django.urls import path

from . import views_duty as views

urlpatterns = [
    # The office (the council and working groups read).
    path("reviews/<int:pk>/duty-reports/", views.report_list, name="duty_reports"),
    path("reviews/<int:pk>/duty-reports/deadline/", views.deadline, name="duty_deadline"),
    path("reviews/<int:pk>/duty-reports/distribute/", views.distribute, name="duty_distribute"),
    path("duty-reports/<int:pk>/", views.report_detail, name="duty_report"),
    path("duty-reports/<int:pk>/accept/", views.report_accept, name="duty_accept"),
    path("duty-reports/<int:pk>/return/", views.report_return, name="duty_return"),
    # Every reader, each checked by the fetcher (R15).
    path("duty-reports/versions/<int:pk>/download/", views.download, name="duty_download"),
    # The official, from their portal page.
    path("my/subjects/<int:pk>/duty-report/", views.upload, name="duty_upload"),
    # Committee members, once the office has distributed the reports.
    path("member/duty-reports/", views.member_index, name="member_duty_reports"),
    path("member/duty-reports/<int:pk>/", views.member_review, name="member_duty_review"),
]
