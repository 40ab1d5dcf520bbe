from django.urls import path

from . import views_office as v

urlpatterns = [
    path("reviews/<int:pk>/questionnaires/", v.questionnaires, name="questionnaires"),
    path(
        "reviews/<int:pk>/questionnaires/new/",
        v.questionnaire_create,
        name="questionnaire_create",
    ),
    path("questionnaires/<int:pk>/", v.questionnaire_detail, name="questionnaire"),
    path("questionnaires/<int:pk>/edit/", v.questionnaire_edit, name="questionnaire_edit"),
    path("questionnaires/<int:pk>/delete/", v.questionnaire_delete, name="questionnaire_delete"),
    path("questionnaires/<int:pk>/publish/", v.questionnaire_publish, name="questionnaire_publish"),
    path("questionnaires/<int:pk>/close/", v.questionnaire_close, name="questionnaire_close"),
    path("questionnaires/<int:pk>/preview/", v.questionnaire_preview, name="questionnaire_preview"),
    path("questionnaires/<int:pk>/results/", v.questionnaire_results, name="questionnaire_results"),
    path(
        "questionnaires/<int:pk>/results/text/<int:question_pk>/",
        v.questionnaire_text_answers,
        name="questionnaire_text_answers",
    ),
    path("questionnaires/<int:pk>/export/", v.questionnaire_export, name="questionnaire_export"),
    path("questionnaires/<int:pk>/sections/new/", v.section_create, name="section_create"),
    path(
        "questionnaires/<int:pk>/sections/<int:section_pk>/edit/",
        v.section_edit,
        name="section_edit",
    ),
    path(
        "questionnaires/<int:pk>/sections/<int:section_pk>/delete/",
        v.section_delete,
        name="section_delete",
    ),
    path(
        "questionnaires/<int:pk>/sections/<int:section_pk>/move/",
        v.section_move,
        name="section_move",
    ),
    path(
        "questionnaires/<int:pk>/sections/<int:section_pk>/questions/new/",
        v.question_create,
        name="question_create",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/edit/",
        v.question_edit,
        name="question_edit",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/delete/",
        v.question_delete,
        name="question_delete",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/move/",
        v.question_move,
        name="question_move",
    ),
]
