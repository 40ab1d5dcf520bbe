"""Working groups' investigation pages: activities, the 问题清单, 调查报告, and the council's
list of reports to hear. Included by surveys/urls.py inside `app_name = "surveys"`."""

from django.urls import path

from . import views_investigation as views

urlpatterns = [
    # 调查活动
    path("investigation/reviews/<int:pk>/activities/", views.activity_list, name="activity_list"),
    path(
        "investigation/reviews/<int:pk>/activities/new/",
        views.activity_create,
        name="activity_create",
    ),
    path("investigation/activities/<int:pk>/", views.activity_detail, name="activity"),
    path("investigation/activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path(
        "investigation/activities/<int:pk>/attachments/<int:att_pk>/",
        views.activity_attachment,
        name="activity_attachment",
    ),
    path(
        "investigation/activities/<int:pk>/attachments/<int:att_pk>/remove/",
        views.activity_attachment_remove,
        name="activity_attachment_remove",
    ),
    # 问题清单
    path("investigation/reviews/<int:pk>/findings/", views.finding_list, name="finding_list"),
    path(
        "investigation/reviews/<int:pk>/findings.xlsx",
        views.finding_export,
        name="finding_export",
    ),
    path("investigation/subjects/<int:pk>/", views.subject_investigation, name="subject"),
    path(
        "investigation/subjects/<int:pk>/findings/new/",
        views.finding_create,
        name="finding_create",
    ),
    path("investigation/findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path(
        "investigation/findings/<int:pk>/withdraw/",
        views.finding_withdraw,
        name="finding_withdraw",
    ),
    path("investigation/findings/<int:pk>/restore/", views.finding_restore, name="finding_restore"),
    # 调查报告
    path("investigation/reviews/<int:pk>/reports/", views.report_list, name="report_list"),
    path("investigation/subjects/<int:pk>/report/", views.report, name="report"),
    path("investigation/subjects/<int:pk>/report/save/", views.report_save, name="report_save"),
    path(
        "investigation/subjects/<int:pk>/report/submit/",
        views.report_submit,
        name="report_submit",
    ),
    path(
        "investigation/subjects/<int:pk>/report/attachments/",
        views.report_attachment_upload,
        name="report_attachment_upload",
    ),
    path(
        "investigation/subjects/<int:pk>/report/attachments/<int:att_pk>/",
        views.report_attachment,
        name="report_attachment",
    ),
    path(
        "investigation/subjects/<int:pk>/report/attachments/<int:att_pk>/remove/",
        views.report_attachment_remove,
        name="report_attachment_remove",
    ),
    path("investigation/subjects/<int:pk>/report/hear/", views.report_hear, name="report_hear"),
    path(
        "investigation/subjects/<int:pk>/report/return/",
        views.report_return,
        name="report_return",
    ),
    # 主任会议: reports waiting to be heard.
    path("investigation/reports/pending/", views.reports_pending, name="reports_pending"),
]
