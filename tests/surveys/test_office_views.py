"""The office's questionnaire pages: who may and who may not, and the effect of each step."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subjects.models import AuditEvent
from surveys.models import Channel, Question, Questionnaire, Response, Section
from tests.factories import (
    QuestionFactory,
    QuestionnaireFactory,
    ReviewFactory,
    SubjectFactory,
    WorkingGroupFactory,
    matrix_questionnaire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(db):
    review = ReviewFactory()
    SubjectFactory.create_batch(3, review=review)
    return review


@pytest.fixture
def questionnaire(review):
    return matrix_questionnaire(review, list(review.subjects.all()))


def _office_urls(q):
    section = q.sections.first()
    question = q.questions.first()
    return [
        ("get", reverse("surveys:questionnaire_create", args=[q.review_id])),
        ("get", reverse("surveys:questionnaire", args=[q.pk])),
        ("get", reverse("surveys:questionnaire_edit", args=[q.pk])),
        ("get", reverse("surveys:questionnaire_preview", args=[q.pk])),
        ("get", reverse("surveys:section_create", args=[q.pk])),
        ("get", reverse("surveys:section_edit", args=[q.pk, section.pk])),
        ("get", reverse("surveys:question_create", args=[q.pk, section.pk])),
        ("get", reverse("surveys:question_edit", args=[q.pk, question.pk])),
        ("post", reverse("surveys:questionnaire_publish", args=[q.pk])),
        ("post", reverse("surveys:questionnaire_close", args=[q.pk])),
        ("post", reverse("surveys:questionnaire_delete", args=[q.pk])),
        ("post", reverse("surveys:section_move", args=[q.pk, section.pk])),
        ("post", reverse("surveys:section_delete", args=[q.pk, section.pk])),
        ("post", reverse("surveys:question_move", args=[q.pk, question.pk])),
        ("post", reverse("surveys:question_delete", args=[q.pk, question.pk])),
    ]


def _reader_urls(q):
    text = q.questions.get(kind="text")
    return [
        ("get", reverse("surveys:questionnaires", args=[q.review_id])),
        ("get", reverse("surveys:questionnaire_results", args=[q.pk])),
        ("get", reverse("surveys:questionnaire_text_answers", args=[q.pk, text.pk])),
    ]


def test_anonymous_is_sent_to_login(client, questionnaire):
    for method, url in _office_urls(questionnaire) + _reader_urls(questionnaire):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("persona", ["official", "deputy", "committee_member"])
def test_outsiders_get_403_everywhere(client, personas, persona, questionnaire):
    client.force_login(personas[persona])
    urls = _office_urls(questionnaire) + _reader_urls(questionnaire)
    urls.append(("post", reverse("surveys:questionnaire_export", args=[questionnaire.pk])))
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url


@pytest.mark.parametrize("persona", ["council", "group_member"])
def test_readers_may_not_build(client, personas, persona, questionnaire):
    client.force_login(personas[persona])
    for method, url in _office_urls(questionnaire):
        assert getattr(client, method)(url).status_code == 403, url
    assert Questionnaire.objects.get(pk=questionnaire.pk).published_at is not None


def test_council_reads_results(client, chair, questionnaire):
    client.force_login(chair)
    for _method, url in _reader_urls(questionnaire):
        assert client.get(url).status_code == 200, url


def test_group_member_reads_results_of_their_review_only(client, group_member, questionnaire):
    client.force_login(group_member)
    for _method, url in _reader_urls(questionnaire):
        assert client.get(url).status_code == 404, url
    WorkingGroupFactory(review=questionnaire.review, members=[group_member])
    for _method, url in _reader_urls(questionnaire):
        assert client.get(url).status_code == 200, url


def test_create_questionnaire_through_the_form(client, office_clerk, review):
    client.force_login(office_clerk)
    url = reverse("surveys:questionnaire_create", args=[review.pk])
    assert "新建问卷" in client.get(url).content.decode()
    opens = timezone.localtime() + timedelta(days=1)
    data = {
        "title": "服务对象满意度调查",
        "intro": "",
        "audience": "service_users",
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "截止时间必须晚于开始时间" in html and "服务对象满意度调查" in html  # kept
    data["closes_at"] = (opens + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    questionnaire = Questionnaire.objects.get(title="服务对象满意度调查")
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:questionnaire", args=[questionnaire.pk])
    assert questionnaire.audience == "service_users" and questionnaire.published_at is None


def test_add_matrix_question_defaults_to_every_subject(client, office_clerk, review):
    questionnaire = QuestionnaireFactory(review=review, published_at=None)
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    client.force_login(office_clerk)
    url = reverse("surveys:question_create", args=[questionnaire.pk, section.pk])
    assert "矩阵题" in client.get(url).content.decode()  # the kind chooser
    html = client.get(url + "?kind=matrix").content.decode()
    assert html.count('name="subjects"') == 3 and html.count("checked") >= 3 + 6
    data = {
        "kind": "matrix",
        "section": section.pk,
        "text": "请逐项评价",
        "required": "on",
        "subjects": [s.pk for s in review.subjects.all()[:2]],
        "dimensions": [d.pk for d in review.dimensions.all()[:3]],
    }
    response = client.post(url, data)
    assert response.status_code == 302
    question = Question.objects.get(questionnaire=questionnaire)
    assert question.subjects.count() == 2 and question.dimensions.count() == 3
    hub = client.get(reverse("surveys:questionnaire", args=[questionnaire.pk])).content.decode()
    assert "请逐项评价" in hub and "2 个评议对象 × 3 项" in hub


def test_single_choice_form_keeps_input_on_error(client, office_clerk, review):
    questionnaire = QuestionnaireFactory(review=review, published_at=None)
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    client.force_login(office_clerk)
    url = reverse("surveys:question_create", args=[questionnaire.pk, section.pk])
    data = {"kind": "single", "section": section.pk, "text": "您的身份", "options": "企业"}
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200 and "至少要有两个选项" in html and "您的身份" in html
    data["options"] = "企业\n群众\n"
    assert client.post(url, data).status_code == 302
    assert Question.objects.get().options == ["企业", "群众"]


def test_frozen_questionnaire_refuses_edits_on_the_page(client, office_clerk, questionnaire):
    Response.objects.create(questionnaire=questionnaire, channel=Channel.PAPER)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(frozen_at=timezone.now())
    question = questionnaire.questions.first()
    client.force_login(office_clerk)
    hub = client.get(reverse("surveys:questionnaire", args=[questionnaire.pk])).content.decode()
    assert "内容已锁定" in hub and "添加题目" not in hub
    url = reverse("surveys:question_edit", args=[questionnaire.pk, question.pk])
    response = client.post(
        url,
        {
            "section": question.section_id,
            "text": "改过的题目",
            "subjects": [s.pk for s in question.subjects.all()],
        },
    )
    assert response.status_code == 200 and "内容已锁定" in response.content.decode()
    question.refresh_from_db()
    assert question.text != "改过的题目"
    response = client.post(
        reverse("surveys:question_delete", args=[questionnaire.pk, question.pk]), follow=True
    )
    assert "内容已锁定" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


def test_publish_close_and_delete(client, office_clerk, review):
    draft = QuestionnaireFactory(review=review, published_at=None)
    section = Section.objects.create(questionnaire=draft, title="一", order=1)
    client.force_login(office_clerk)
    publish = reverse("surveys:questionnaire_publish", args=[draft.pk])
    response = client.post(publish, follow=True)
    assert "至少添加一道题目" in response.content.decode()
    QuestionFactory(section=section, kind="score")
    client.post(publish)
    draft.refresh_from_db()
    assert draft.status() == "open"
    client.post(reverse("surveys:questionnaire_close", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status() == "closed"
    assert AuditEvent.objects.filter(action="questionnaire.closed", actor=office_clerk).exists()
    other = QuestionnaireFactory(review=review, published_at=None)
    response = client.post(reverse("surveys:questionnaire_delete", args=[other.pk]))
    assert response["Location"] == reverse("surveys:questionnaires", args=[review.pk])
    assert not Questionnaire.objects.filter(pk=other.pk).exists()


def test_move_buttons_reorder(client, office_clerk, review):
    questionnaire = QuestionnaireFactory(review=review, published_at=None)
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    a = QuestionFactory(section=section, kind="score", text="甲", order=1)
    QuestionFactory(section=section, kind="score", text="乙", order=2)
    client.force_login(office_clerk)
    client.post(
        reverse("surveys:question_move", args=[questionnaire.pk, a.pk]), {"direction": "down"}
    )
    assert list(section.questions.order_by("order").values_list("text", flat=True)) == ["乙", "甲"]


def test_preview_shows_the_questions(client, office_clerk, questionnaire):
    client.force_login(office_clerk)
    html = client.get(
        reverse("surveys:questionnaire_preview", args=[questionnaire.pk])
    ).content.decode()
    assert "请对以下评议对象逐项评价" in html and "意见和建议" in html
    for subject in questionnaire.review.subjects.all():
        assert subject.display_name in html


def test_another_reviews_objects_are_404(client, office_clerk, questionnaire):
    other = matrix_questionnaire(ReviewFactory(), [])
    client.force_login(office_clerk)
    foreign_question = other.questions.first()
    url = reverse("surveys:question_edit", args=[questionnaire.pk, foreign_question.pk])
    assert client.get(url).status_code == 404
    url = reverse("surveys:section_edit", args=[questionnaire.pk, other.sections.first().pk])
    assert client.get(url).status_code == 404


def test_list_and_hub_run_a_fixed_number_of_queries(
    client, office_clerk, review, django_assert_max_num_queries
):
    client.force_login(office_clerk)
    small = matrix_questionnaire(review, list(review.subjects.all()))
    big = matrix_questionnaire(review, list(review.subjects.all()))
    for n in range(20):
        section = Section.objects.create(questionnaire=big, title=f"部分{n}", order=n + 2)
        QuestionFactory.create_batch(3, section=section, kind="score")
    counts = []
    for questionnaire in (small, big):
        with django_assert_max_num_queries(15) as captured:
            assert (
                client.get(reverse("surveys:questionnaire", args=[questionnaire.pk])).status_code
                == 200
            )
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    QuestionnaireFactory.create_batch(15, review=review)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("surveys:questionnaires", args=[review.pk])).status_code == 200


def test_questionnaires_card(client, office_clerk, chair, questionnaire):
    from django.template import Context, Template
    from django.test import RequestFactory

    Response.objects.create(questionnaire=questionnaire, channel=Channel.PAPER)
    template = Template("{% load questionnaire_tags %}{% questionnaires_card review %}")
    request = RequestFactory().get("/")
    request.user = office_clerk
    html = template.render(Context({"request": request, "review": questionnaire.review}))
    assert questionnaire.title in html and "已收答卷 1 份" in html and "新建问卷" in html
    request.user = chair
    html = template.render(Context({"request": request, "review": questionnaire.review}))
    assert questionnaire.title in html and "新建问卷" not in html
