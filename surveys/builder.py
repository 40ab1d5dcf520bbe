"""Building a questionnaire: one service per step of the office's builder.

Every edit locks the questionnaire row and refuses once `frozen_at` is set: the first answer
freezes the questionnaire (`responses._store`), and later answers must mean the same thing as
the earlier ones. The lock orders an edit and the freezing UPDATE of a first answer.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import timezone

from reviews.models import Dimension, Review, Subject
from reviews.selectors import visible_reviews
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from subjects.roles import Role, has_role

from .models import Question, QuestionKind, Questionnaire, Section

register_actions(
    {
        "questionnaire.created": "新建问卷",
        "questionnaire.updated": "修改问卷",
        "questionnaire.deleted": "删除问卷草稿",
        "questionnaire.published": "发布问卷",
        "questionnaire.closed": "截止问卷",
        "questionnaire.section_added": "添加问卷部分",
        "questionnaire.section_updated": "修改问卷部分",
        "questionnaire.section_deleted": "删除问卷部分",
        "questionnaire.section_moved": "调整问卷部分顺序",
        "questionnaire.question_added": "添加题目",
        "questionnaire.question_updated": "修改题目",
        "questionnaire.question_deleted": "删除题目",
        "questionnaire.question_moved": "调整题目顺序",
    }
)

# Phases in which the office may create (and build) questionnaires.
BUILD_PHASES = (Phase.PREPARE, Phase.INVESTIGATE, Phase.MEETING)
FROZEN_MESSAGE = "问卷已收到答卷，内容已锁定，不能再修改（以免前后答卷含义不一致）。"
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
SUBJECT_KINDS = (QuestionKind.SATISFACTION, QuestionKind.SCORE, QuestionKind.TEXT)
MAX_OPTIONS = 30


# --- permission-checking fetchers ---------------------------------------------------------------


def questionnaires_for_user(user):
    """Questionnaires whose results a user may see: office and council all; a working-group
    member those of the reviews they work on; nobody else."""
    if not has_role(user, Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER):
        return Questionnaire.objects.none()
    return Questionnaire.objects.filter(review__in=visible_reviews(user))


def get_questionnaire_for_user(user, pk: int) -> Questionnaire:
    questionnaire = (
        questionnaires_for_user(user)
        .select_related("review", "review__rules")
        .filter(pk=pk)
        .first()
    )
    if questionnaire is None:
        raise Http404
    return questionnaire


# --- helpers ------------------------------------------------------------------------------------


def _locked(questionnaire: Questionnaire) -> Questionnaire:
    """Lock the row and refuse edits of a frozen questionnaire."""
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if row.frozen_at is not None:
        raise ValidationError(FROZEN_MESSAGE)
    return row


def _check_phase(review: Review) -> None:
    if review.phase not in BUILD_PHASES:
        raise ValidationError(
            f"评议活动处于“{Phase(review.phase).label}”阶段，不能再新建或修改问卷。"
        )


def _check_window(opens_at, closes_at) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": "截止时间必须晚于开始时间。"})


def parse_options(text: str) -> list[str]:
    """Options typed one per line; blank lines and repeats dropped."""
    return list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


QUESTIONNAIRE_FIELDS = ("title", "intro", "audience", "opens_at", "closes_at", "open_link")


# --- the questionnaire ------------------------------------------------------------------------


@transaction.atomic
def create_questionnaire(*, actor, review: Review, **fields) -> Questionnaire:
    _check_phase(review)
    _check_window(fields.get("opens_at"), fields.get("closes_at"))
    questionnaire = Questionnaire.objects.create(
        review=review,
        created_by=actor,
        **{k: fields[k] for k in QUESTIONNAIRE_FIELDS if k in fields},
    )
    # A questionnaire always has a first section to put questions in.
    Section.objects.create(questionnaire=questionnaire, title="第一部分", order=1)
    record(
        actor=actor,
        action="questionnaire.created",
        target=questionnaire,
        summary=f"新建问卷“{questionnaire.title}”",
        data={"review": review.pk},
    )
    return questionnaire


@transaction.atomic
def update_questionnaire(*, actor, questionnaire: Questionnaire, **fields) -> Questionnaire:
    row = _locked(questionnaire)
    _check_phase(row.review)
    _check_window(fields.get("opens_at", row.opens_at), fields.get("closes_at", row.closes_at))
    changed = [k for k in QUESTIONNAIRE_FIELDS if k in fields and getattr(row, k) != fields[k]]
    for name in changed:
        setattr(row, name, fields[name])
    if changed:
        row.save(update_fields=changed)
        record(
            actor=actor,
            action="questionnaire.updated",
            target=row,
            summary=f"修改问卷“{row.title}”",
            data={"fields": changed},
        )
    return row


@transaction.atomic
def publish_questionnaire(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if row.published_at is not None:
        raise ValidationError("问卷已经发布。")
    _check_phase(row.review)
    if not Question.objects.filter(questionnaire=row).exists():
        raise ValidationError("问卷还没有题目，至少添加一道题目后才能发布。")
    now = timezone.now()
    if row.closes_at <= now:
        raise ValidationError("截止时间已过，请先修改截止时间再发布。")
    _check_window(row.opens_at, row.closes_at)
    row.published_at = now
    row.save(update_fields=["published_at"])
    record(
        actor=actor,
        action="questionnaire.published",
        target=row,
        summary=f"发布问卷“{row.title}”，填写时间 {timezone.localtime(row.opens_at):%Y-%m-%d %H:%M}"
        f" 至 {timezone.localtime(row.closes_at):%Y-%m-%d %H:%M}",
    )
    return row


@transaction.atomic
def close_questionnaire(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    now = timezone.now()
    status = row.status(now)
    if status == "draft":
        raise ValidationError("问卷尚未发布，不需要截止。")
    if status == "closed":
        raise ValidationError("问卷已经截止。")
    if status == "scheduled":
        raise ValidationError("问卷尚未开始填写；如需推迟或取消，请修改开始和截止时间。")
    row.closes_at = now
    row.save(update_fields=["closes_at"])
    record(
        actor=actor,
        action="questionnaire.closed",
        target=row,
        summary=f"立即截止问卷“{row.title}”",
    )
    return row


@transaction.atomic
def delete_questionnaire(*, actor, questionnaire: Questionnaire) -> None:
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if row.published_at is not None or row.frozen_at is not None or row.responses.exists():
        raise ValidationError("只能删除尚未发布的问卷草稿。")
    title, review_id = row.title, row.review_id
    record(
        actor=actor,
        action="questionnaire.deleted",
        target=row,
        summary=f"删除问卷草稿“{title}”",
        data={"review": review_id},
    )
    row.delete()


# --- sections -----------------------------------------------------------------------------------


def _next_order(queryset) -> int:
    return (queryset.aggregate(m=Max("order"))["m"] or 0) + 1


@transaction.atomic
def add_section(
    *, actor, questionnaire: Questionnaire, title: str, description: str = ""
) -> Section:
    row = _locked(questionnaire)
    section = Section.objects.create(
        questionnaire=row,
        title=title,
        description=description,
        order=_next_order(Section.objects.filter(questionnaire=row)),
    )
    record(
        actor=actor,
        action="questionnaire.section_added",
        target=row,
        summary=f"在问卷“{row.title}”中添加部分“{title}”",
    )
    return section


@transaction.atomic
def update_section(*, actor, section: Section, title: str, description: str = "") -> Section:
    row = _locked(section.questionnaire)
    section.title, section.description = title, description
    section.save(update_fields=["title", "description"])
    record(
        actor=actor,
        action="questionnaire.section_updated",
        target=row,
        summary=f"修改问卷“{row.title}”的部分“{title}”",
    )
    return section


@transaction.atomic
def delete_section(*, actor, section: Section) -> None:
    row = _locked(section.questionnaire)
    if Section.objects.filter(questionnaire=row).count() <= 1:
        raise ValidationError("问卷至少要有一个部分。")
    count = section.questions.count()
    record(
        actor=actor,
        action="questionnaire.section_deleted",
        target=row,
        summary=f"删除问卷“{row.title}”的部分“{section.title}”（含 {count} 道题目）",
    )
    section.delete()


def _direction(offset: int) -> str:
    return "上移" if offset < 0 else "下移"


def _move(items: list, item, offset: int) -> bool:
    """Renumber `items` 1..n with `item` moved by `offset`; False when it cannot move."""
    index = next(i for i, x in enumerate(items) if x.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    for n, x in enumerate(items, start=1):
        x.order = n
    type(item).objects.bulk_update(items, ["order"])
    return True


@transaction.atomic
def move_section(*, actor, section: Section, offset: int) -> None:
    row = _locked(section.questionnaire)
    items = list(Section.objects.filter(questionnaire=row).order_by("order", "id"))
    if _move(items, section, offset):
        record(
            actor=actor,
            action="questionnaire.section_moved",
            target=row,
            summary=f"{_direction(offset)}问卷“{row.title}”的部分“{section.title}”",
        )


# --- questions ----------------------------------------------------------------------------------


def _clean_question(review: Review, kind: str, fields: dict) -> dict:
    """Check a question's fields for its kind and drop what does not apply."""
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": "题型无效。"})
    text = (fields.get("text") or "").strip()
    if not text:
        raise ValidationError({"text": "请填写题目。"})
    clean = {
        "text": text,
        "help_text": (fields.get("help_text") or "").strip(),
        "required": bool(fields.get("required", True)),
        "options": [],
        "allow_unknown": False,
        "subject": None,
    }
    if kind in CHOICE_KINDS:
        options = fields.get("options") or []
        if len(options) < 2:
            raise ValidationError({"options": "单选题和多选题至少要有两个选项（每行一个）。"})
        if len(options) > MAX_OPTIONS:
            raise ValidationError({"options": f"选项不超过 {MAX_OPTIONS} 个。"})
        if any(len(o) > 100 for o in options):
            raise ValidationError({"options": "每个选项不超过 100 字。"})
        clean["options"] = options
    if kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX):
        clean["allow_unknown"] = bool(fields.get("allow_unknown"))
    if kind in SUBJECT_KINDS:
        subject = fields.get("subject")
        if subject is not None and subject.review_id != review.pk:
            raise ValidationError({"subject": "评议对象不属于本次评议。"})
        clean["subject"] = subject
    return clean


def _set_matrix(question: Question, review: Review, subjects, dimensions) -> None:
    """A matrix's rows default to every subject of the review, its columns to the review's
    dimensions (the 评议内容)."""
    if subjects is None:
        subjects = list(Subject.objects.filter(review=review))
    if dimensions is None:
        dimensions = list(Dimension.objects.filter(review=review))
    if any(s.review_id != review.pk for s in subjects) or any(
        d.review_id != review.pk for d in dimensions
    ):
        raise ValidationError("评议对象或评议内容不属于本次评议。")
    if not subjects:
        raise ValidationError({"subjects": "矩阵题至少要有一个评议对象。"})
    question.subjects.set(subjects)
    question.dimensions.set(dimensions)


@transaction.atomic
def add_question(
    *, actor, section: Section, kind: str, subjects=None, dimensions=None, **fields
) -> Question:
    row = _locked(section.questionnaire)
    review = row.review
    clean = _clean_question(review, kind, fields)
    question = Question.objects.create(
        questionnaire=row,
        section=section,
        kind=kind,
        order=_next_order(Question.objects.filter(section=section)),
        **clean,
    )
    if kind == QuestionKind.MATRIX:
        _set_matrix(question, review, subjects, dimensions)
    record(
        actor=actor,
        action="questionnaire.question_added",
        target=row,
        summary=f"在问卷“{row.title}”中添加{QuestionKind(kind).label.split('（')[0]}“{question.text[:40]}”",
    )
    return question


@transaction.atomic
def update_question(
    *, actor, question: Question, subjects=None, dimensions=None, **fields
) -> Question:
    row = _locked(question.questionnaire)
    review = row.review
    clean = _clean_question(review, question.kind, fields)
    section = fields.get("section")
    if section is not None and section.questionnaire_id != row.pk:
        raise ValidationError({"section": "部分不属于本问卷。"})
    for name, value in clean.items():
        setattr(question, name, value)
    update = list(clean)
    if section is not None and section.pk != question.section_id:
        question.section = section
        question.order = _next_order(Question.objects.filter(section=section))
        update += ["section", "order"]
    question.save(update_fields=update)
    if question.kind == QuestionKind.MATRIX:
        _set_matrix(question, review, subjects, dimensions)
    record(
        actor=actor,
        action="questionnaire.question_updated",
        target=row,
        summary=f"修改问卷“{row.title}”的题目“{question.text[:40]}”",
    )
    return question


@transaction.atomic
def delete_question(*, actor, question: Question) -> None:
    row = _locked(question.questionnaire)
    record(
        actor=actor,
        action="questionnaire.question_deleted",
        target=row,
        summary=f"删除问卷“{row.title}”的题目“{question.text[:40]}”",
    )
    question.delete()


@transaction.atomic
def move_question(*, actor, question: Question, offset: int) -> None:
    row = _locked(question.questionnaire)
    items = list(Question.objects.filter(section_id=question.section_id).order_by("order", "id"))
    if _move(items, question, offset):
        record(
            actor=actor,
            action="questionnaire.question_moved",
            target=row,
            summary=f"{_direction(offset)}问卷“{row.title}”的题目“{question.text[:40]}”",
        )


# --- the hub ------------------------------------------------------------------------------------


def hub_sections(questionnaire: Questionnaire) -> list[dict]:
    """Sections with their questions (in order) for the builder's hub, in three queries;
    a matrix shows its subjects × dimensions count."""
    sections = list(Section.objects.filter(questionnaire=questionnaire).order_by("order", "id"))
    questions = list(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("subject")
        .annotate(
            subject_count=Count("subjects", distinct=True),
            dimension_count=Count("dimensions", distinct=True),
        )
        .order_by("order", "id")
    )
    by_section: dict[int, list] = {s.pk: [] for s in sections}
    for question in questions:
        by_section.setdefault(question.section_id, []).append(question)
    return [{"section": s, "questions": by_section[s.pk]} for s in sections]
