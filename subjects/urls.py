from django.urls import path

from . import jobs_views, views

urlpatterns = [
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("audit/", views.audit_log, name="audit_log"),
    path("system/status/", views.system_status, name="system_status"),
    path("healthz", views.healthz, name="healthz"),
    path("roster/officials/", views.roster_officials, name="roster_officials"),
    path("roster/officials/new/", views.roster_official_new, name="roster_official_new"),
    path("roster/officials/<int:pk>/", views.roster_official_detail, name="roster_official_detail"),
    path(
        "roster/officials/<int:pk>/edit/", views.roster_official_edit, name="roster_official_edit"
    ),
    path("roster/units/", views.roster_units, name="roster_units"),
    path("roster/units/new/", views.roster_unit_new, name="roster_unit_new"),
    path("roster/units/<int:pk>/edit/", views.roster_unit_edit, name="roster_unit_edit"),
    path("roster/composition/", views.composition, name="composition"),
    path("roster/composition/new/", views.composition_add, name="composition_add"),
    path("roster/composition/<int:pk>/edit/", views.composition_edit, name="composition_edit"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path(
        "roster/import/template.xlsx",
        views.roster_import_template,
        name="roster_import_template",
    ),
    path("roster/export.xlsx", views.roster_export, name="roster_export"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("jobs/<uuid:pk>/", jobs_views.job_detail, name="job"),
    path("jobs/<uuid:pk>/progress/", jobs_views.job_progress, name="job_progress"),
    path("jobs/<uuid:pk>/download/", jobs_views.job_download, name="job_download"),
]
