"""The office's pages for preparing a review, the leading group's plan approval and the
term coverage report. Included by reviews/urls.py inside `app_name = "reviews"`."""

from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.review_list, name="list"),
    path("reviews/new/", views.review_create, name="create"),
    path("reviews/coverage/", views.coverage, name="coverage"),
    path("reviews/<int:pk>/", views.review_detail, name="detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="edit"),
    path("reviews/<int:pk>/advance/", views.review_advance, name="advance"),
    path("reviews/<int:pk>/plan/", views.plan, name="plan"),
    path("reviews/<int:pk>/plan/upload/", views.plan_upload, name="plan_upload"),
    path("reviews/<int:pk>/plan/submit/", views.plan_submit, name="plan_submit"),
    path("reviews/<int:pk>/plan/decide/", views.plan_decide, name="plan_decide"),
    path("reviews/<int:pk>/plan/download/", views.plan_download, name="plan_download"),
    path("reviews/<int:pk>/leadership/", views.leadership, name="leadership"),
    path("reviews/<int:pk>/groups/new/", views.group_create, name="group_create"),
    path("reviews/<int:pk>/groups/<int:group_pk>/", views.group_edit, name="group_edit"),
    path(
        "reviews/<int:pk>/groups/<int:group_pk>/delete/",
        views.group_delete,
        name="group_delete",
    ),
    path("reviews/<int:pk>/subjects/", views.subjects, name="subjects"),
    path(
        "reviews/<int:pk>/subjects/<int:subject_pk>/remove/",
        views.subject_remove,
        name="subject_remove",
    ),
    path("reviews/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("reviews/<int:pk>/dimensions/", views.dimensions, name="dimensions"),
    path("reviews/<int:pk>/rules/", views.rules, name="rules"),
    path("reviews/<int:pk>/announcement/", views.announcement, name="announcement"),
    path("reviews/<int:pk>/publish/", views.publish, name="publish"),
    path("reviews/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
