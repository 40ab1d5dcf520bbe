"""The office's questionnaire pages: the builder (a hub listing sections and questions), the
preview, publishing and closing, the results and the exports.

Who may: the office builds; the office, the council and working-group members (for the
questionnaires of the reviews they work on) see the list and the results; officials,
deputies and committee members never (403). A questionnaire of another review → 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.selectors import get_review_for_user
from subjects.access import roles_required
from subjects.exports import xlsx_response
from subjects.forms import errors_into_form, report_refusal
from subjects.jobs import start_job
from subjects.roles import Role, has_role

from . import builder
from .export_tasks import EXPORT_RAW
from .exports import export_filename, summary_workbook
from .forms_builder import QuestionForm, QuestionnaireForm, SectionForm
from .models import Question, QuestionKind, Questionnaire, Response, Section
from .responses import load_structure
from .results import questionnaire_results as results_of
from .results import text_answers

READERS = (Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER)
TEXT_PAGE = 50


def _hub(questionnaire, anchor=""):
    return redirect(reverse("surveys:questionnaire", args=[questionnaire.pk]) + anchor)


def _for_office(request, pk) -> Questionnaire:
    return builder.get_questionnaire_for_user(request.user, pk)


# --- the list per review ----------------------------------------------------------------------


@roles_required(*READERS)
@require_GET
def questionnaires(request, pk):
    review = get_review_for_user(request.user, pk)
    rows = list(
        Questionnaire.objects.filter(review=review)
        .annotate(response_count=Count("responses"))
        .order_by("-opens_at", "-id")
    )
    return render(
        request,
        "surveys/office/list.html",
        {
            "review": review,
            "questionnaires": rows,
            "is_office": has_role(request.user, Role.OFFICE),
            "can_create": has_role(request.user, Role.OFFICE)
            and review.phase in builder.BUILD_PHASES,
        },
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def questionnaire_create(request, pk):
    review = get_review_for_user(request.user, pk)
    if request.method == "POST":
        form = QuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                questionnaire = builder.create_questionnaire(
                    actor=request.user, review=review, **form.cleaned_data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已新建问卷“{questionnaire.title}”，请添加题目。")
                return _hub(questionnaire)
    else:
        form = QuestionnaireForm(initial=QuestionnaireForm.initial_for())
    return render(
        request,
        "surveys/office/questionnaire_form.html",
        {"review": review, "form": form, "questionnaire": None},
    )


# --- the hub ----------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def questionnaire_detail(request, pk):
    questionnaire = _for_office(request, pk)
    review = questionnaire.review
    responses = Response.objects.filter(questionnaire=questionnaire).count()
    return render(
        request,
        "surveys/office/hub.html",
        {
            "questionnaire": questionnaire,
            "review": review,
            "sections": builder.hub_sections(questionnaire),
            "kinds": QuestionKind.choices,
            "responses": responses,
            "editable": not questionnaire.is_frozen and review.phase in builder.BUILD_PHASES,
            "status": questionnaire.status(),
        },
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def questionnaire_edit(request, pk):
    questionnaire = _for_office(request, pk)
    if request.method == "POST":
        form = QuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                builder.update_questionnaire(
                    actor=request.user, questionnaire=questionnaire, **form.cleaned_data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "问卷信息已保存。")
                return _hub(questionnaire)
    else:
        form = QuestionnaireForm(initial=QuestionnaireForm.initial_for(questionnaire))
    return render(
        request,
        "surveys/office/questionnaire_form.html",
        {"review": questionnaire.review, "form": form, "questionnaire": questionnaire},
    )


def _step(request, owner, service, success: str, anchor="", /, **kwargs):
    try:
        service(actor=request.user, **kwargs)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        if success:
            messages.success(request, success)
    return _hub(owner, anchor)


@roles_required(Role.OFFICE)
@require_POST
def questionnaire_publish(request, pk):
    questionnaire = _for_office(request, pk)
    return _step(
        request,
        questionnaire,
        builder.publish_questionnaire,
        "问卷已发布，到开始时间即可填写。",
        questionnaire=questionnaire,
    )


@roles_required(Role.OFFICE)
@require_POST
def questionnaire_close(request, pk):
    questionnaire = _for_office(request, pk)
    return _step(
        request,
        questionnaire,
        builder.close_questionnaire,
        "问卷已截止，不再接受在线填写。",
        questionnaire=questionnaire,
    )


@roles_required(Role.OFFICE)
@require_POST
def questionnaire_delete(request, pk):
    questionnaire = _for_office(request, pk)
    try:
        builder.delete_questionnaire(actor=request.user, questionnaire=questionnaire)
    except ValidationError as error:
        report_refusal(request, error)
        return _hub(questionnaire)
    messages.success(request, f"已删除问卷草稿“{questionnaire.title}”。")
    return redirect("surveys:questionnaires", pk=questionnaire.review_id)


# --- sections ---------------------------------------------------------------------------------


def _section(questionnaire, section_pk) -> Section:
    return get_object_or_404(Section, pk=section_pk, questionnaire=questionnaire)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def section_create(request, pk):
    questionnaire = _for_office(request, pk)
    return _section_form(request, questionnaire, None)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def section_edit(request, pk, section_pk):
    questionnaire = _for_office(request, pk)
    return _section_form(request, questionnaire, _section(questionnaire, section_pk))


def _section_form(request, questionnaire, section):
    if request.method == "POST":
        form = SectionForm(request.POST)
        if form.is_valid():
            try:
                if section is None:
                    section = builder.add_section(
                        actor=request.user, questionnaire=questionnaire, **form.cleaned_data
                    )
                else:
                    builder.update_section(actor=request.user, section=section, **form.cleaned_data)
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                return _hub(questionnaire, f"#section-{section.pk}")
    else:
        initial = {"title": section.title, "description": section.description} if section else {}
        form = SectionForm(initial=initial)
    return render(
        request,
        "surveys/office/section_form.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "form": form,
            "section": section,
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def section_delete(request, pk, section_pk):
    questionnaire = _for_office(request, pk)
    section = _section(questionnaire, section_pk)
    return _step(
        request,
        questionnaire,
        builder.delete_section,
        f"已删除部分“{section.title}”。",
        section=section,
    )


@roles_required(Role.OFFICE)
@require_POST
def section_move(request, pk, section_pk):
    questionnaire = _for_office(request, pk)
    section = _section(questionnaire, section_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _step(
        request,
        questionnaire,
        builder.move_section,
        "",
        f"#section-{section.pk}",
        section=section,
        offset=offset,
    )


# --- questions --------------------------------------------------------------------------------


def _question(questionnaire, question_pk) -> Question:
    return get_object_or_404(
        Question.objects.select_related("section"), pk=question_pk, questionnaire=questionnaire
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def question_create(request, pk, section_pk):
    questionnaire = _for_office(request, pk)
    section = _section(questionnaire, section_pk)
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in QuestionKind.values:
        return render(
            request,
            "surveys/office/question_kind.html",
            {
                "questionnaire": questionnaire,
                "review": questionnaire.review,
                "section": section,
                "kinds": QuestionKind.choices,
            },
        )
    if request.method == "POST":
        form = QuestionForm(request.POST, kind=kind, questionnaire=questionnaire)
        if form.is_valid():
            data = form.service_kwargs()
            target = data.pop("section")
            try:
                question = builder.add_question(
                    actor=request.user, section=target, kind=kind, **data
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已添加题目“{question.text[:30]}”。")
                return _hub(questionnaire, f"#question-{question.pk}")
    else:
        initial = {"section": section.pk, "required": True}
        if kind == QuestionKind.MATRIX:
            # The matrix appraises every subject on every 评议内容 unless narrowed here.
            initial["subjects"] = list(questionnaire.review.subjects.values_list("pk", flat=True))
            initial["dimensions"] = list(
                questionnaire.review.dimensions.values_list("pk", flat=True)
            )
        if kind == QuestionKind.SATISFACTION:
            initial["text"] = "您对以下方面的总体评价是："
        form = QuestionForm(initial=initial, kind=kind, questionnaire=questionnaire)
    return render(
        request,
        "surveys/office/question_form.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "form": form,
            "question": None,
            "kind": kind,
        },
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def question_edit(request, pk, question_pk):
    questionnaire = _for_office(request, pk)
    question = _question(questionnaire, question_pk)
    if request.method == "POST":
        form = QuestionForm(request.POST, kind=question.kind, questionnaire=questionnaire)
        if form.is_valid():
            try:
                builder.update_question(
                    actor=request.user, question=question, **form.service_kwargs()
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "题目已保存。")
                return _hub(questionnaire, f"#question-{question.pk}")
    else:
        form = QuestionForm(
            initial=QuestionForm.initial_for(question),
            kind=question.kind,
            questionnaire=questionnaire,
        )
    return render(
        request,
        "surveys/office/question_form.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "form": form,
            "question": question,
            "kind": question.kind,
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def question_delete(request, pk, question_pk):
    questionnaire = _for_office(request, pk)
    question = _question(questionnaire, question_pk)
    return _step(
        request,
        questionnaire,
        builder.delete_question,
        f"已删除题目“{question.text[:30]}”。",
        question=question,
    )


@roles_required(Role.OFFICE)
@require_POST
def question_move(request, pk, question_pk):
    questionnaire = _for_office(request, pk)
    question = _question(questionnaire, question_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _step(
        request,
        questionnaire,
        builder.move_question,
        "",
        f"#question-{question.pk}",
        question=question,
        offset=offset,
    )


# --- preview, results, exports -------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def questionnaire_preview(request, pk):
    questionnaire = _for_office(request, pk)
    return render(
        request,
        "surveys/office/preview.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "structure": load_structure(questionnaire),
            "values": {},
            "errors": {},
            "preview": True,
        },
    )


@roles_required(*READERS)
@require_GET
def questionnaire_results(request, pk):
    questionnaire = builder.get_questionnaire_for_user(request.user, pk)
    exclude = request.GET.get("exclude_suspicious") == "1"
    return render(
        request,
        "surveys/office/results.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "res": results_of(questionnaire, exclude_suspicious=exclude),
            "is_office": has_role(request.user, Role.OFFICE),
        },
    )


@roles_required(*READERS)
@require_GET
def questionnaire_text_answers(request, pk, question_pk):
    questionnaire = builder.get_questionnaire_for_user(request.user, pk)
    question = get_object_or_404(
        Question, pk=question_pk, questionnaire=questionnaire, kind=QuestionKind.TEXT
    )
    exclude = request.GET.get("exclude_suspicious") == "1"
    page = Paginator(
        text_answers(questionnaire, question, exclude_suspicious=exclude), TEXT_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/office/text_answers.html",
        {
            "questionnaire": questionnaire,
            "review": questionnaire.review,
            "question": question,
            "page": page,
            "query": "exclude_suspicious=1" if exclude else "",
        },
    )


@roles_required(*READERS)
@require_POST
def questionnaire_export(request, pk):
    """The summary is small: sent at once. The raw answers (office only: free text may be
    telling) run as a background job with a progress bar (a 100k-row workbook takes seconds)."""
    questionnaire = builder.get_questionnaire_for_user(request.user, pk)
    if request.POST.get("what") == "summary":
        exclude = request.POST.get("exclude_suspicious") == "1"
        return xlsx_response(
            summary_workbook(questionnaire, exclude_suspicious=exclude),
            export_filename(questionnaire, "统计结果"),
        )
    if not has_role(request.user, Role.OFFICE):
        raise PermissionDenied
    job = start_job(
        actor=request.user,
        kind=EXPORT_RAW,
        label=f"导出原始答卷：{questionnaire.title}",
        params={"questionnaire": questionnaire.pk},
    )
    return redirect("job", pk=job.pk)
