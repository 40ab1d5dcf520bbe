"""The questionnaire builder's services: every step, its refusals and its audit trail."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviews.models import Dimension
from reviews.workflow import Phase
from subjects.models import AuditEvent
from surveys import builder
from surveys.models import Question, Questionnaire, Section
from surveys.responses import load_structure, submit_paper
from tests.factories import QuestionFactory, QuestionnaireFactory, ReviewFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def _fields(**extra):
    now = timezone.now()
    return {
        "title": "2025 年度人大代表满意度测评",
        "intro": "请如实填写。",
        "audience": "deputies",
        "opens_at": now + timedelta(hours=1),
        "closes_at": now + timedelta(days=7),
        "open_link": False,
        **extra,
    }


@pytest.fixture
def review(db):
    review = ReviewFactory()
    SubjectFactory.create_batch(3, review=review)
    return review


@pytest.fixture
def draft(review, office_clerk):
    return builder.create_questionnaire(actor=office_clerk, review=review, **_fields())


def test_create_makes_a_draft_with_a_first_section_and_audits(review, office_clerk):
    questionnaire = builder.create_questionnaire(actor=office_clerk, review=review, **_fields())
    assert questionnaire.status() == "draft"
    assert questionnaire.created_by == office_clerk
    assert list(questionnaire.sections.values_list("title", flat=True)) == ["第一部分"]
    event = AuditEvent.objects.get(action="questionnaire.created")
    assert event.actor == office_clerk and "2025 年度人大代表满意度测评" in event.summary


def test_create_refused_in_rectify_and_archived_phases(review, office_clerk):
    for phase in (Phase.RECTIFY, Phase.ARCHIVED):
        review.phase = phase
        review.save(update_fields=["phase"])
        with pytest.raises(ValidationError, match="不能再新建或修改问卷"):
            builder.create_questionnaire(actor=office_clerk, review=review, **_fields())
    assert not Questionnaire.objects.exists()


def test_create_refuses_a_window_that_ends_before_it_starts(review, office_clerk):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        builder.create_questionnaire(
            actor=office_clerk, review=review, **_fields(opens_at=now, closes_at=now)
        )
    assert "截止时间必须晚于开始时间" in str(caught.value)


def test_matrix_defaults_to_all_subjects_and_the_reviews_dimensions(draft, review, office_clerk):
    section = draft.sections.get()
    question = builder.add_question(
        actor=office_clerk, section=section, kind="matrix", text="请逐项评价", required=True
    )
    assert set(question.subjects.all()) == set(review.subjects.all())
    assert set(question.dimensions.all()) == set(review.dimensions.all())
    structure = load_structure(draft)
    cells = structure[0].questions[0].cells
    assert len(cells) == 3 * Dimension.objects.filter(review=review).count()


def test_every_kind_can_be_added_and_options_are_kept(draft, review, office_clerk):
    section = draft.sections.get()
    subject = review.subjects.first()
    builder.add_question(
        actor=office_clerk,
        section=section,
        kind="satisfaction",
        text="总体评价",
        allow_unknown=True,
        subject=subject,
    )
    builder.add_question(
        actor=office_clerk,
        section=section,
        kind="single",
        text="您的身份",
        options=builder.parse_options("企业\n\n群众\n企业\n"),
    )
    builder.add_question(
        actor=office_clerk, section=section, kind="multiple", text="渠道", options=["网站", "报纸"]
    )
    builder.add_question(actor=office_clerk, section=section, kind="score", text="打分")
    builder.add_question(
        actor=office_clerk, section=section, kind="text", text="意见", required=False
    )
    questions = list(Question.objects.filter(questionnaire=draft).order_by("order"))
    assert [q.kind for q in questions] == ["satisfaction", "single", "multiple", "score", "text"]
    assert [q.order for q in questions] == [1, 2, 3, 4, 5]
    assert questions[0].allow_unknown and questions[0].subject == subject
    assert questions[1].options == ["企业", "群众"]
    assert questions[4].required is False
    assert AuditEvent.objects.filter(action="questionnaire.question_added").count() == 5


def test_single_choice_needs_two_options(draft, office_clerk):
    with pytest.raises(ValidationError) as caught:
        builder.add_question(
            actor=office_clerk, section=draft.sections.get(), kind="single", text="x", options=["a"]
        )
    assert "至少要有两个选项" in str(caught.value)
    assert not Question.objects.exists()


def test_subject_of_another_review_is_refused(draft, office_clerk):
    stranger = SubjectFactory()
    with pytest.raises(ValidationError):
        builder.add_question(
            actor=office_clerk,
            section=draft.sections.get(),
            kind="matrix",
            text="x",
            subjects=[stranger],
        )


def test_publish_needs_a_question_and_a_future_close(draft, office_clerk):
    with pytest.raises(ValidationError, match="至少添加一道题目"):
        builder.publish_questionnaire(actor=office_clerk, questionnaire=draft)
    builder.add_question(
        actor=office_clerk, section=draft.sections.get(), kind="score", text="打分"
    )
    Questionnaire.objects.filter(pk=draft.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="截止时间已过"):
        builder.publish_questionnaire(actor=office_clerk, questionnaire=draft)
    Questionnaire.objects.filter(pk=draft.pk).update(closes_at=timezone.now() + timedelta(days=1))
    builder.publish_questionnaire(actor=office_clerk, questionnaire=draft)
    draft.refresh_from_db()
    assert draft.published_at is not None and draft.status() == "open"
    assert AuditEvent.objects.filter(action="questionnaire.published").exists()
    with pytest.raises(ValidationError, match="已经发布"):
        builder.publish_questionnaire(actor=office_clerk, questionnaire=draft)


def test_close_now_sets_closes_at(office_clerk):
    questionnaire = QuestionnaireFactory()
    before = timezone.now()
    builder.close_questionnaire(actor=office_clerk, questionnaire=questionnaire)
    questionnaire.refresh_from_db()
    assert before <= questionnaire.closes_at <= timezone.now()
    assert questionnaire.status() == "closed"
    with pytest.raises(ValidationError, match="已经截止"):
        builder.close_questionnaire(actor=office_clerk, questionnaire=questionnaire)


def test_close_refuses_a_draft(draft, office_clerk):
    with pytest.raises(ValidationError, match="尚未发布"):
        builder.close_questionnaire(actor=office_clerk, questionnaire=draft)


def test_delete_only_a_draft(draft, office_clerk):
    published = QuestionnaireFactory()
    with pytest.raises(ValidationError, match="只能删除"):
        builder.delete_questionnaire(actor=office_clerk, questionnaire=published)
    builder.delete_questionnaire(actor=office_clerk, questionnaire=draft)
    assert not Questionnaire.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="questionnaire.deleted").exists()


def test_every_edit_is_refused_once_frozen(office_clerk, review):
    questionnaire = QuestionnaireFactory(review=review)
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    question = QuestionFactory(section=section, kind="score", text="打分")
    submit_paper(
        questionnaire, [{"question_id": question.pk, "number": 80}], entered_by=office_clerk
    )
    questionnaire.refresh_from_db()
    assert questionnaire.is_frozen
    steps = [
        lambda: builder.update_questionnaire(
            actor=office_clerk, questionnaire=questionnaire, title="新名称"
        ),
        lambda: builder.add_section(actor=office_clerk, questionnaire=questionnaire, title="二"),
        lambda: builder.update_section(actor=office_clerk, section=section, title="改"),
        lambda: builder.move_section(actor=office_clerk, section=section, offset=1),
        lambda: builder.add_question(actor=office_clerk, section=section, kind="text", text="新题"),
        lambda: builder.update_question(actor=office_clerk, question=question, text="改题"),
        lambda: builder.move_question(actor=office_clerk, question=question, offset=-1),
        lambda: builder.delete_question(actor=office_clerk, question=question),
    ]
    for step in steps:
        with pytest.raises(ValidationError, match="内容已锁定"):
            step()
    question.refresh_from_db()
    assert question.text == "打分"
    assert Question.objects.filter(questionnaire=questionnaire).count() == 1
    assert Questionnaire.objects.get(pk=questionnaire.pk).title != "新名称"


def test_move_question_and_section(draft, office_clerk):
    first = draft.sections.get()
    second = builder.add_section(actor=office_clerk, questionnaire=draft, title="第二部分")
    a = builder.add_question(actor=office_clerk, section=first, kind="score", text="A")
    b = builder.add_question(actor=office_clerk, section=first, kind="score", text="B")
    builder.move_question(actor=office_clerk, question=b, offset=-1)
    assert list(first.questions.order_by("order").values_list("text", flat=True)) == ["B", "A"]
    # At the top already: nothing moves, nothing is audited.
    moved = AuditEvent.objects.filter(action="questionnaire.question_moved").count()
    builder.move_question(actor=office_clerk, question=Question.objects.get(pk=b.pk), offset=-1)
    assert AuditEvent.objects.filter(action="questionnaire.question_moved").count() == moved
    builder.move_section(actor=office_clerk, section=second, offset=-1)
    assert list(draft.sections.order_by("order").values_list("title", flat=True)) == [
        "第二部分",
        "第一部分",
    ]
    assert a.pk


def test_last_section_cannot_be_deleted(draft, office_clerk):
    with pytest.raises(ValidationError, match="至少要有一个部分"):
        builder.delete_section(actor=office_clerk, section=draft.sections.get())


def test_update_question_moves_it_to_another_section(draft, office_clerk):
    first = draft.sections.get()
    second = builder.add_section(actor=office_clerk, questionnaire=draft, title="第二部分")
    question = builder.add_question(actor=office_clerk, section=first, kind="score", text="A")
    builder.update_question(
        actor=office_clerk, question=question, text="A2", section=second, required=False
    )
    question.refresh_from_db()
    assert question.section == second and question.text == "A2" and not question.required
