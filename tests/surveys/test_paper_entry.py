"""Keying in paper questionnaires, and the count of forms received reconciled against the
forms entered."""

import pytest
from django.urls import reverse

from subjects.models import AuditEvent
from surveys.distribution import PaperCount
from surveys.models import Answer, Channel, Question, Response
from tests.factories import (
    QuestionFactory,
    ReviewFactory,
    SectionFactory,
    SubjectFactory,
    matrix_questionnaire,
)


@pytest.fixture
def questionnaire(office_clerk):
    review = ReviewFactory(created_by=office_clerk)
    subjects = [SubjectFactory(review=review) for _ in range(2)]
    dimensions = list(review.dimensions.all()[:2])
    questionnaire = matrix_questionnaire(review, subjects, dimensions=dimensions)
    section = SectionFactory(questionnaire=questionnaire, title="其他", order=9)
    QuestionFactory(
        section=section, kind="single", text="您的身份", options=["人大代表", "服务对象"], order=1
    )
    QuestionFactory(section=section, kind="score", text="总体打分", required=False, order=2)
    return questionnaire


def full_answers(questionnaire, **overrides):
    matrix = Question.objects.get(questionnaire=questionnaire, kind="matrix")
    data = {}
    for subject in matrix.subjects.all():
        for dimension in matrix.dimensions.all():
            data[f"q{matrix.pk}_s{subject.pk}_d{dimension.pk}"] = "satisfied"
    single = Question.objects.get(questionnaire=questionnaire, kind="single")
    score = Question.objects.get(questionnaire=questionnaire, kind="score")
    data[f"q{single.pk}"] = "1"
    data[f"q{score.pk}"] = "88"
    data.update(overrides)
    return data


def test_entry_screen_shows_every_cell_with_focus_on_the_first(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    response = client.get(reverse("surveys:paper_entry", args=[questionnaire.pk]))
    page = response.content.decode()
    names = list(full_answers(questionnaire))
    for name in names:
        assert f'name="{name}"' in page
    assert page.count(" autofocus") == 1
    assert "1 满意" in page and "2 基本满意" in page
    assert "尚未登记收回的纸质问卷份数" in page


def test_saving_a_paper_form_stores_a_paper_response(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    url = reverse("surveys:paper_entry", args=[questionnaire.pk])
    response = client.post(url, full_answers(questionnaire))
    assert response.status_code == 302 and response["Location"] == url
    stored = Response.objects.get()
    assert stored.channel == Channel.PAPER
    assert stored.entered_by == office_clerk
    assert Answer.objects.filter(response=stored).count() == 4 + 2
    assert Answer.objects.get(response=stored, number__isnull=False).number == 88
    page = client.get(url).content.decode()
    assert "已录入第 1 份" in page
    assert "selected>1 满意" not in page  # a fresh, empty form
    client.post(url, full_answers(questionnaire))
    assert "已录入第 2 份" in client.get(url).content.decode()
    event = AuditEvent.objects.filter(action="survey.paper_entered").latest("id")
    assert "第 2 份" in event.summary and "satisfied" not in str(event.data)


def test_an_error_keeps_what_was_typed(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    score = Question.objects.get(questionnaire=questionnaire, kind="score")
    single = Question.objects.get(questionnaire=questionnaire, kind="single")
    data = full_answers(questionnaire, **{f"q{score.pk}": "150", f"q{single.pk}": ""})
    response = client.post(reverse("surveys:paper_entry", args=[questionnaire.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "请填写 0 到 100 之间的整数分数" in page
    assert "此题必答" in page
    assert 'value="150"' in page
    assert page.count('value="satisfied" selected') == 4
    assert not Response.objects.exists()


def test_allow_blank_keys_a_form_as_it_is(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    single = Question.objects.get(questionnaire=questionnaire, kind="single")
    data = full_answers(questionnaire, **{f"q{single.pk}": ""})
    url = reverse("surveys:paper_entry", args=[questionnaire.pk])
    assert client.post(url, data).status_code == 200
    assert client.post(url, {**data, "allow_blank": "1"}).status_code == 302
    assert Response.objects.filter(channel=Channel.PAPER).count() == 1
    # A wholly blank form is refused even then.
    response = client.post(url, {"allow_blank": "1"})
    assert "一题都没有填写" in response.content.decode()
    assert Response.objects.count() == 1


def test_draft_questionnaire_refuses_paper_forms(client, questionnaire, office_clerk):
    questionnaire.published_at = None
    questionnaire.save(update_fields=["published_at"])
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:paper_entry", args=[questionnaire.pk]), full_answers(questionnaire)
    )
    assert "问卷尚未发布，不能录入纸质问卷" in response.content.decode()
    assert not Response.objects.exists()


def test_paper_received_is_audited_and_reconciled(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    entry = reverse("surveys:paper_entry", args=[questionnaire.pk])
    for _ in range(3):
        client.post(entry, full_answers(questionnaire))
    response = client.post(
        reverse("surveys:paper_received", args=[questionnaire.pk]),
        {"paper_received": "5", "next": entry},
    )
    assert response["Location"] == entry
    questionnaire.refresh_from_db()
    assert questionnaire.paper_received == 5
    event = AuditEvent.objects.get(action="survey.paper_received")
    assert event.data == {"before": 0, "after": 5}
    assert "收回 5 份，已录入 3 份，还差 2 份。" in client.get(entry).content.decode()
    client.post(reverse("surveys:paper_received", args=[questionnaire.pk]), {"paper_received": "2"})
    page = client.get(reverse("surveys:distribution", args=[questionnaire.pk])).content.decode()
    assert "已录入 3 份，多于登记收回的 2 份" in page and "alert-danger" in page


def test_paper_received_refuses_a_bad_number(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:paper_received", args=[questionnaire.pk]), {"paper_received": "-3"}
    )
    assert response.status_code == 200
    assert "份数不能小于 0" in response.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.paper_received == 0


@pytest.mark.parametrize(
    ("received", "entered", "text"),
    [
        (120, 118, "收回 120 份，已录入 118 份，还差 2 份。"),
        (120, 120, "收回 120 份，已全部录入。"),
        (0, 0, "尚未登记收回的纸质问卷份数。"),
        (10, 12, "已录入 12 份，多于登记收回的 10 份，请核对收回份数，或检查是否重复录入。"),
    ],
)
def test_reconciliation_text(received, entered, text):
    count = PaperCount(received=received, entered=entered)
    assert count.text == text
    assert count.over == (entered > received)
