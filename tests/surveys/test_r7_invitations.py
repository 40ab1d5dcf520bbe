"""R7 One response per invitation: the code is consumed by a conditional UPDATE in the same
transaction as the response; a replay gets "此邀请码已使用"; the response keeps no link to
the invitation and no time finer than a day."""

from datetime import timedelta

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from reviews.meetings import AlreadyVoted
from subjects.models import AuditEvent
from subjects.roles import Role
from surveys.invitations import void_batch
from surveys.models import Answer, Invitation, InvitationBatch, Response
from surveys.responses import (
    InvitationUnknown,
    InvitationUsed,
    QuestionnaireNotOpen,
    load_structure,
    parse_answers,
    submit_with_account,
    submit_with_code,
)
from tests.factories import UserFactory
from tests.reviews.test_secret_ballot import run_at_once
from tests.surveys.test_respond import _clean_cache, full_answers, questionnaire_with_matrix
from tests.surveys.test_respond import slip_codes as codes_for

__all__ = ["_clean_cache"]


def rows_for(questionnaire, choice="satisfied"):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update(full_answers(questionnaire, choice))
    rows, errors = parse_answers(load_structure(questionnaire), data)
    assert errors == {}
    return rows


def at_most_once(submit):
    """A job for run_at_once: a refused repeat counts as "already"."""

    def job():
        try:
            submit()
        except InvitationUsed as used:
            raise AlreadyVoted() from used

    return job


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_submissions_with_one_code_make_one_response(requires_postgres):
    questionnaire = questionnaire_with_matrix(subjects=3, dimensions=2)
    code = codes_for(questionnaire)[0]
    rows = rows_for(questionnaire)

    outcomes, errors = run_at_once(
        [at_most_once(lambda: submit_with_code(questionnaire, code, rows))] * 20
    )

    assert errors == []
    assert outcomes.count("ok") == 1
    assert outcomes.count("already") == 19
    response = Response.objects.get(questionnaire=questionnaire)
    assert Answer.objects.filter(questionnaire=questionnaire).count() == len(rows) == 7
    assert Answer.objects.filter(response=response).count() == len(rows)
    assert Invitation.objects.get().used


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_submissions_through_the_view_make_one_response(requires_postgres):
    from django.test import Client

    questionnaire = questionnaire_with_matrix(subjects=3, dimensions=2)
    code = codes_for(questionnaire)[0]
    url = reverse("surveys:respond_with_code", args=[code])
    data = full_answers(questionnaire)
    statuses, refusals = [], []

    def post():
        page = Client().post(url, data)
        statuses.append(page.status_code)
        if page.status_code != 302:
            refusals.append("此邀请码已使用" in page.content.decode())

    outcomes, errors = run_at_once([post] * 20)

    assert errors == []
    assert len(statuses) == 20
    assert statuses.count(302) == 1
    assert refusals == [True] * 19  # every other request sees the used page
    assert Response.objects.filter(questionnaire=questionnaire).count() == 1
    assert Answer.objects.filter(questionnaire=questionnaire).count() == 7


@pytest.mark.django_db(transaction=True)
def test_a_double_tap_from_a_deputy_account_makes_one_response(requires_postgres, deputy):
    from tests.surveys.test_respond import invite_account

    questionnaire = questionnaire_with_matrix()
    invite_account(questionnaire, deputy)
    rows = rows_for(questionnaire)

    outcomes, errors = run_at_once(
        [at_most_once(lambda: submit_with_account(questionnaire, deputy, rows))] * 10
    )

    assert errors == []
    assert outcomes.count("ok") == 1
    assert Response.objects.filter(questionnaire=questionnaire).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_codes_at_once_both_count(requires_postgres):
    questionnaire = questionnaire_with_matrix()
    first, second = codes_for(questionnaire, count=2)
    rows = rows_for(questionnaire)

    outcomes, errors = run_at_once(
        [
            lambda: submit_with_code(questionnaire, first, rows),
            lambda: submit_with_code(questionnaire, second, rows),
        ]
    )

    assert errors == []
    assert outcomes == ["ok", "ok"]
    assert Response.objects.filter(questionnaire=questionnaire).count() == 2


@pytest.mark.django_db
def test_a_replay_shows_the_used_page(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    url = reverse("surveys:respond_with_code", args=[code])
    assert client.post(url, full_answers(questionnaire)).status_code == 302

    replay = client.post(url, full_answers(questionnaire, "dissatisfied"))

    assert "此邀请码已使用" in replay.content.decode()
    assert Response.objects.count() == 1
    assert not Answer.objects.filter(choice="dissatisfied").exists()
    page = client.get(url)
    assert "此邀请码已使用" in page.content.decode()
    assert "提交问卷" not in page.content.decode()
    # Typing the used code on the entry page leads to the same clear page.
    entry = client.post(reverse("surveys:respond_code"), {"code": code}, follow=True)
    assert "此邀请码已使用" in entry.content.decode()


@pytest.mark.django_db
def test_the_response_holds_no_invitation_and_no_exact_time():
    for field in Response._meta.get_fields():
        related = getattr(field, "related_model", None)
        assert related not in (Invitation, InvitationBatch), field.name
        if related is not None and field.concrete:
            assert field.name in ("questionnaire", "entered_by"), field.name
        assert not isinstance(field, models.DateTimeField | models.TimeField), field.name
    date_fields = [
        f.name for f in Response._meta.concrete_fields if isinstance(f, models.DateField)
    ]
    assert date_fields == ["submitted_on"]
    for field in Answer._meta.concrete_fields:
        assert not isinstance(field, models.DateField | models.TimeField), field.name
        assert getattr(field, "related_model", None) not in (Invitation, InvitationBatch)
    for field in Invitation._meta.concrete_fields:
        # "used" has no time, so it cannot be matched to a response's arrival.
        assert getattr(field, "related_model", None) is not Response, field.name


@pytest.mark.django_db
def test_submitting_leaves_no_trace_linking_respondent_and_answers(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    before = AuditEvent.objects.count()
    client.post(reverse("surveys:respond_with_code", args=[code]), full_answers(questionnaire))
    assert Response.objects.count() == 1
    assert AuditEvent.objects.count() == before
    assert code not in str(client.session.items())


@pytest.mark.django_db
def test_a_voided_batchs_code_is_refused(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    void_batch(actor=UserFactory(roles=[Role.OFFICE]), batch=InvitationBatch.objects.get())

    with pytest.raises(InvitationUnknown):
        submit_with_code(questionnaire, code, rows_for(questionnaire))
    page = client.post(
        reverse("surveys:respond_with_code", args=[code]), full_answers(questionnaire)
    )
    assert page.status_code == 404
    assert "邀请码不正确" in page.content.decode()
    assert Response.objects.count() == 0
    assert not Invitation.objects.get().used


@pytest.mark.django_db
def test_a_closed_questionnaire_refuses(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    now = timezone.now()
    questionnaire.opens_at = now - timedelta(days=3)
    questionnaire.closes_at = now - timedelta(minutes=1)
    questionnaire.save()

    with pytest.raises(QuestionnaireNotOpen):
        submit_with_code(questionnaire, code, rows_for(questionnaire))
    page = client.post(
        reverse("surveys:respond_with_code", args=[code]), full_answers(questionnaire)
    )
    assert "问卷已截止" in page.content.decode()
    assert Response.objects.count() == 0
    assert not Invitation.objects.get().used


@pytest.mark.django_db
def test_a_failed_submit_does_not_use_the_code(client):
    questionnaire = questionnaire_with_matrix()
    code = codes_for(questionnaire)[0]
    client.post(reverse("surveys:respond_with_code", args=[code]), {})
    assert not Invitation.objects.get().used
    assert Response.objects.count() == 0
