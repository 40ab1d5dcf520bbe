"""The answer view's hot path (bench/survey_ingest.py): a submission with a slip code is a
lookup, the code's UPDATE and one storing statement on PostgreSQL (never the code and the
answers in one SQL line), and stores exactly what the portable path stores."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subjects.roles import Role
from surveys.invitations import void_batch
from surveys.models import Answer, Invitation, InvitationBatch, Question, Response
from surveys.responses import (
    InvitationUnknown,
    InvitationUsed,
    hash_code,
    questionnaire_for_code,
    submit_open,
    submit_paper,
    submit_with_code,
)
from tests.factories import UserFactory
from tests.surveys.test_respond import _clean_cache, full_answers, questionnaire_with_matrix
from tests.surveys.test_respond import slip_codes as codes_for

__all__ = ["_clean_cache"]
pytestmark = pytest.mark.django_db


def _rows(questionnaire):
    """One row of every kind the storage handles: a choice, a number, a text in Chinese."""
    matrix = Question.objects.get(questionnaire=questionnaire, kind="matrix")
    text = Question.objects.get(questionnaire=questionnaire, kind="text")
    subject = matrix.subjects.order_by("pk").first()
    dimension = matrix.dimensions.order_by("pk").first()
    return [
        {
            "question_id": matrix.pk,
            "subject_id": subject.pk,
            "dimension_id": dimension.pk,
            "choice": "basic",
        },
        {"question_id": matrix.pk, "subject_id": subject.pk, "dimension_id": None, "number": 87},
        {
            "question_id": text.pk,
            "subject_id": None,
            "dimension_id": None,
            "text": "意见：\"窗口\" 服务 \\ 要改进 '引号' ✓",
        },
    ]


def _stored(response):
    return sorted(
        Answer.objects.filter(response=response).values_list(
            "questionnaire_id",
            "question_id",
            "subject_id",
            "dimension_id",
            "choice",
            "number",
            "text",
        ),
        key=repr,
    )


def test_every_channel_stores_the_same_rows():
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    rows = _rows(questionnaire)
    expected = [
        (
            questionnaire.pk,
            row["question_id"],
            row["subject_id"],
            row["dimension_id"],
            row.get("choice", ""),
            row.get("number"),
            row.get("text", ""),
        )
        for row in rows
    ]
    by_code = submit_with_code(questionnaire, code, rows)
    questionnaire.open_link = True
    questionnaire.save(update_fields=["open_link"])
    by_link = submit_open(questionnaire, rows, suspicious=True)
    on_paper = submit_paper(questionnaire, rows, entered_by=UserFactory(roles=[Role.OFFICE]))

    for response, channel in ((by_code, "invitation"), (by_link, "open"), (on_paper, "paper")):
        stored = Response.objects.get(pk=response.pk)
        assert stored.channel == channel == response.channel
        assert stored.submitted_on == response.submitted_on == timezone.localdate()
        assert _stored(response) == sorted(expected, key=repr)
    assert Response.objects.get(pk=by_link.pk).suspicious
    assert Invitation.objects.get().used


def test_the_first_answer_freezes_the_questionnaire():
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    assert questionnaire.frozen_at is None

    submit_with_code(questionnaire, code, _rows(questionnaire))

    questionnaire.refresh_from_db()
    assert questionnaire.frozen_at is not None


def test_a_refused_code_stores_nothing_and_says_why():
    questionnaire = questionnaire_with_matrix()
    first, second = codes_for(questionnaire, count=2)
    submit_with_code(questionnaire, first, _rows(questionnaire))

    with pytest.raises(InvitationUsed):
        submit_with_code(questionnaire, first, _rows(questionnaire))
    with pytest.raises(InvitationUnknown):
        submit_with_code(questionnaire, "ABCDEFGH", _rows(questionnaire))
    void_batch(actor=UserFactory(roles=[Role.OFFICE]), batch=InvitationBatch.objects.get())
    with pytest.raises(InvitationUnknown):
        submit_with_code(questionnaire, second, _rows(questionnaire))

    assert Response.objects.count() == 1
    assert Answer.objects.count() == 3
    assert Invitation.objects.filter(used=True).count() == 1


def test_questionnaire_for_code():
    questionnaire = questionnaire_with_matrix()
    first, second = codes_for(questionnaire, count=2)
    submit_with_code(questionnaire, first, [])

    found = questionnaire_for_code(second)
    assert found == questionnaire and found.title == questionnaire.title
    assert found.invitation_used is False
    assert questionnaire_for_code(first).invitation_used is True
    assert questionnaire_for_code("ABCDEFGH") is None
    void_batch(actor=UserFactory(roles=[Role.OFFICE]), batch=InvitationBatch.objects.get())
    assert questionnaire_for_code(second) is None


def test_a_submission_through_the_view_is_a_short_transaction(client, requires_postgres):
    questionnaire = questionnaire_with_matrix(subjects=3, dimensions=2)
    first, second, third = codes_for(questionnaire, count=3)
    answers = full_answers(questionnaire)
    client.post(reverse("surveys:respond_with_code", args=[first]), answers)  # freezes it
    client.post(reverse("surveys:respond_with_code", args=[second]), answers)  # caches it

    with CaptureQueriesContext(connection) as captured:
        page = client.post(reverse("surveys:respond_with_code", args=[third]), answers)

    assert page.status_code == 302
    # The code's questionnaire, then in one transaction the code consumed and the response
    # stored with its answers by one statement: no session, no user, no savepoint.
    # (The test's own transaction turns the atomic block into a savepoint.)
    statements = [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 3, [sql[:80] for sql in statements]
    # No statement holds both the code's hash (an emailed invitation ties it to a person) and
    # the answers: the code is consumed by its own UPDATE in the response's transaction.
    code_hash = hash_code(third)
    consuming = [sql for sql in statements if code_hash in sql]
    storing = [sql for sql in statements if "希望进一步改进工作作风" in sql]
    assert consuming and len(storing) == 1  # the lookup and the UPDATE; the insert
    assert not any(sql in storing or "surveys_answer" in sql for sql in consuming)
    assert Response.objects.count() == 3
    assert Answer.objects.count() == 3 * 7


def test_a_closed_questionnaire_keeps_the_code_unused(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    questionnaire.opens_at = timezone.now() - timedelta(days=2)
    questionnaire.closes_at = timezone.now() - timedelta(minutes=1)
    questionnaire.save()

    page = client.post(
        reverse("surveys:respond_with_code", args=[code]), full_answers(questionnaire)
    )

    assert "问卷已截止" in page.content.decode()
    assert not Invitation.objects.get().used
