"""Results of a questionnaire: counts, shares, 满意率, k-hiding (R5), channels, suspicious
answers, paper reconciliation, and a constant number of queries."""

import pytest
from django.urls import reverse

from surveys.models import Answer, Channel, Response, Section
from surveys.results import Tally, questionnaire_results
from tests.factories import (
    QuestionFactory,
    QuestionnaireFactory,
    ReviewFactory,
    SubjectFactory,
    matrix_questionnaire,
)

pytestmark = pytest.mark.django_db


def fill(questionnaire, choices, *, channel=Channel.INVITATION, suspicious=False, text=None):
    """One response per entry of `choices`: every matrix cell answered with that choice."""
    matrix = questionnaire.questions.get(kind="matrix")
    subjects = list(matrix.subjects.all())
    dimensions = list(matrix.dimensions.all()) or [None]
    text_q = questionnaire.questions.filter(kind="text").first()
    responses = Response.objects.bulk_create(
        Response(questionnaire=questionnaire, channel=channel, suspicious=suspicious)
        for _ in choices
    )
    answers = []
    for response, choice in zip(responses, choices, strict=True):
        for subject in subjects:
            for dimension in dimensions:
                answers.append(
                    Answer(
                        response=response,
                        questionnaire=questionnaire,
                        question=matrix,
                        subject=subject,
                        dimension=dimension,
                        choice=choice,
                    )
                )
        if text and text_q:
            answers.append(
                Answer(response=response, questionnaire=questionnaire, question=text_q, text=text)
            )
    Answer.objects.bulk_create(answers)


@pytest.fixture
def review(db):
    return ReviewFactory()


@pytest.fixture
def subjects(review):
    return SubjectFactory.create_batch(2, review=review)


@pytest.fixture
def questionnaire(review, subjects):
    dims = list(review.dimensions.all()[:2])
    return matrix_questionnaire(review, subjects, dimensions=dims)


def test_tally_rate_excludes_unknown():
    tally = Tally(counts={"satisfied": 3, "basic": 1, "dissatisfied": 1, "unknown": 5}, k=3)
    assert tally.total == 10 and tally.known == 5
    assert tally.rate == "80.0%"
    assert not tally.hidden
    assert Tally(counts={"unknown": 4}, k=3).rate == "—"
    assert Tally(counts={"satisfied": 2}, k=3).hidden


def test_matrix_counts_shares_and_rate_per_subject_and_dimension(questionnaire, subjects):
    fill(questionnaire, ["satisfied"] * 3 + ["basic"] + ["dissatisfied"] * 2)
    res = questionnaire_results(questionnaire)
    assert res.responses == 6
    (section, results) = res.sections[0]
    matrix = results[0]
    assert [row.subject for row in matrix.rows] == subjects
    cell = matrix.rows[0].cells[0]
    assert cell.counts == {"satisfied": 3, "basic": 1, "dissatisfied": 2}
    assert cell.rate == "66.7%"
    assert matrix.rows[0].overall.total == 12  # 6 responses × 2 dimensions
    shares = {s["choice"]: s["share"] for s in cell.segments(matrix.question.scale)}
    assert shares == {"satisfied": "50.0%", "basic": "16.7%", "dissatisfied": "33.3%"}


def test_groups_below_k_are_hidden_on_the_page(client, office_clerk, questionnaire, review):
    review.rules.min_group_size = 5
    review.rules.save()
    fill(questionnaire, ["satisfied"] * 6)  # invitations: 6 ≥ k
    fill(questionnaire, ["dissatisfied"] * 2, channel=Channel.PAPER)  # paper: 2 < k
    res = questionnaire_results(questionnaire)
    row = res.sections[0][1][0].rows[0]
    channels = dict(row.channels)
    assert not channels["邀请码"].hidden and channels["纸质问卷"].hidden
    client.force_login(office_clerk)
    page = client.get(reverse("surveys:questionnaire_results", args=[questionnaire.pk]))
    html = page.content.decode()
    assert "不足 k 份，不显示" in html
    assert "满意率 =（满意 + 基本满意）÷" in html


def test_everything_hidden_when_total_below_k(client, office_clerk, questionnaire, review):
    fill(questionnaire, ["dissatisfied", "satisfied"])  # 2 < k = 3
    res = questionnaire_results(questionnaire)
    row = res.sections[0][1][0].rows[0]
    assert all(cell.hidden for cell in row.cells)
    client.force_login(office_clerk)
    html = client.get(
        reverse("surveys:questionnaire_results", args=[questionnaire.pk])
    ).content.decode()
    assert "50.0%" not in html and "不足 k 份，不显示" in html


def test_suspicious_open_link_answers_can_be_excluded(client, office_clerk, questionnaire):
    fill(questionnaire, ["satisfied"] * 4, channel=Channel.OPEN)
    fill(questionnaire, ["dissatisfied"] * 4, channel=Channel.OPEN, suspicious=True)
    res = questionnaire_results(questionnaire)
    assert res.suspicious == 4 and res.responses == 8
    assert res.sections[0][1][0].rows[0].cells[0].rate == "50.0%"
    res = questionnaire_results(questionnaire, exclude_suspicious=True)
    assert res.responses == 4
    assert res.sections[0][1][0].rows[0].cells[0].rate == "100.0%"
    client.force_login(office_clerk)
    url = reverse("surveys:questionnaire_results", args=[questionnaire.pk])
    html = client.get(url).content.decode()
    assert "可疑答卷（疑似重复提交）：<strong>4</strong>" in html
    assert "排除可疑答卷后统计" in html
    html = client.get(url + "?exclude_suspicious=1").content.decode()
    assert "已排除可疑答卷" in html and "100.0%" in html


def test_paper_reconciliation(client, office_clerk, questionnaire):
    questionnaire.paper_received = 5
    questionnaire.save()
    fill(questionnaire, ["satisfied"] * 3, channel=Channel.PAPER)
    res = questionnaire_results(questionnaire)
    assert (res.paper_received, res.paper_entered, res.paper_difference) == (5, 3, 2)
    client.force_login(office_clerk)
    html = client.get(
        reverse("surveys:questionnaire_results", args=[questionnaire.pk])
    ).content.decode()
    assert "还有 2 份未录入" in html


def test_other_kinds(office_clerk):
    questionnaire = QuestionnaireFactory()
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    single = QuestionFactory(section=section, kind="single", options=["企业", "群众"], order=1)
    multiple = QuestionFactory(section=section, kind="multiple", options=["网站", "报纸"], order=2)
    score = QuestionFactory(section=section, kind="score", order=3)
    text = QuestionFactory(section=section, kind="text", order=4, required=False)
    sat = QuestionFactory(section=section, kind="satisfaction", allow_unknown=True, order=5)
    rows = []
    for i in range(4):
        response = Response.objects.create(questionnaire=questionnaire, channel=Channel.PAPER)
        common = {"response": response, "questionnaire": questionnaire}
        rows += [
            Answer(question=single, choice=str(i % 2), **common),
            Answer(question=multiple, choice="0", **common),
            Answer(question=score, number=60 + 10 * i, **common),
            Answer(question=text, text=f"意见{i}", **common),
            Answer(
                question=sat, choice=["satisfied", "basic", "dissatisfied", "unknown"][i], **common
            ),
        ]
        if i < 2:
            rows.append(Answer(question=multiple, choice="1", **common))
    Answer.objects.bulk_create(rows)
    res = questionnaire_results(questionnaire)
    results = {r.question.pk: r for r in res.sections[0][1]}
    assert results[single.pk].options == [("企业", 2, "50.0%"), ("群众", 2, "50.0%")]
    assert results[multiple.pk].options == [("网站", 4, "100.0%"), ("报纸", 2, "50.0%")]
    assert results[score.pk].score == {"count": 4, "mean": "75.0", "min": 60, "max": 90}
    assert results[text.pk].answers == 4 and results[text.pk].texts[0] == "意见3"
    assert results[sat.pk].tally.rate == "66.7%"


def _page_queries(client, questionnaire, django_assert_max_num_queries, budget):
    url = reverse("surveys:questionnaire_results", args=[questionnaire.pk])
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_results_page_runs_a_constant_number_of_queries(
    client, office_clerk, review, django_assert_max_num_queries
):
    subjects = SubjectFactory.create_batch(5, review=review)
    small = matrix_questionnaire(review, subjects)
    large = matrix_questionnaire(review, subjects)
    fill(small, ["satisfied", "basic"], text="好")
    fill(large, ["satisfied", "basic", "dissatisfied", "unknown"] * 50, text="好")
    client.force_login(office_clerk)
    few = _page_queries(client, small, django_assert_max_num_queries, 20)
    many = _page_queries(client, large, django_assert_max_num_queries, 20)
    assert few == many


def test_aggregates_are_cached_until_a_new_answer_arrives(review, subjects):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    questionnaire = matrix_questionnaire(review, subjects, dimensions=[])
    fill(questionnaire, ["satisfied"] * 3)
    first = questionnaire_results(questionnaire)
    # The same answers again: the counts per channel (the cache key) are read, but the
    # aggregation over the answers is not repeated.
    with CaptureQueriesContext(connection) as queries:
        again = questionnaire_results(questionnaire)
    assert not [q for q in queries.captured_queries if "surveys_answer" in q["sql"]]
    assert [q for q in queries.captured_queries if "surveys_response" in q["sql"]]

    def counts(result):
        return result.sections[0][1][0].rows[0].cells[0].counts

    assert counts(again) == counts(first) == {"satisfied": 3}
    fill(questionnaire, ["dissatisfied"])
    after = questionnaire_results(questionnaire)
    assert counts(after) == {"satisfied": 3, "dissatisfied": 1}
