"""R8 Open (QR) questionnaires resist ballot stuffing within reason: a per-device cookie,
a rate limit per IP address, and repeats from one address marked suspicious for staff."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from subjects.models import AuditEvent
from surveys import openlink
from surveys.models import Answer, Response
from tests.surveys.test_respond import _clean_cache, full_answers, questionnaire_with_matrix

__all__ = ["_clean_cache"]

pytestmark = pytest.mark.django_db


def open_url(questionnaire):
    return reverse("surveys:respond_open", args=[questionnaire.public_token])


def test_anyone_answers_through_the_open_link(client):
    questionnaire = questionnaire_with_matrix(open_link=True, audience="public")
    page = client.get(open_url(questionnaire))
    assert page.status_code == 200
    assert questionnaire.title in page.content.decode()

    sent = client.post(open_url(questionnaire), full_answers(questionnaire, "basic"))

    assert sent.status_code == 302
    assert sent["Location"] == reverse("surveys:respond_done", args=[questionnaire.pk])
    response = Response.objects.get()
    assert response.channel == "open"
    assert response.suspicious is False
    assert Answer.objects.filter(response=response, choice="basic").count() == 4
    assert client.get(sent["Location"]).status_code == 200


def test_the_same_browser_sees_already_answered_and_a_second_post_is_refused(client):
    questionnaire = questionnaire_with_matrix(open_link=True)
    client.post(open_url(questionnaire), full_answers(questionnaire))
    cookie = client.cookies[openlink.cookie_name(questionnaire)]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    again = client.get(open_url(questionnaire))
    assert "您已填写过本问卷" in again.content.decode()
    assert "提交问卷" not in again.content.decode()
    second = client.post(open_url(questionnaire), full_answers(questionnaire))
    assert second.status_code == 409
    assert "您已填写过本问卷" in second.content.decode()
    assert Response.objects.count() == 1


def test_a_forged_cookie_is_ignored(client):
    questionnaire = questionnaire_with_matrix(open_link=True)
    client.cookies[openlink.cookie_name(questionnaire)] = questionnaire.public_token
    assert "您已填写过本问卷" not in client.get(open_url(questionnaire)).content.decode()


def test_the_cookie_of_one_questionnaire_does_not_block_another(client):
    first = questionnaire_with_matrix(open_link=True)
    second = questionnaire_with_matrix(open_link=True)
    client.post(open_url(first), full_answers(first))
    assert "您已填写过本问卷" not in client.get(open_url(second)).content.decode()
    assert client.post(open_url(second), full_answers(second)).status_code == 302


def test_a_second_response_from_one_address_within_the_hour_is_suspicious(client):
    from django.test import Client

    questionnaire = questionnaire_with_matrix(open_link=True)
    for _ in range(3):  # three browsers behind one address
        Client().post(open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.1.1.1")
    Client().post(open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.1.1.2")

    flags = sorted(Response.objects.values_list("suspicious", flat=True))
    assert flags == [False, False, True, True]


def test_the_rate_limit_per_address_refuses_beyond_the_setting(client, settings):
    from django.test import Client

    settings.PINGYI_OPEN_LINK_PER_IP_HOUR = 3
    questionnaire = questionnaire_with_matrix(open_link=True)
    statuses = [
        Client()
        .post(open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.2.2.2")
        .status_code
        for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert Response.objects.count() == 3
    page = Client().post(
        open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.2.2.2"
    )
    assert "提交过于频繁" in page.content.decode()
    other = Client().post(
        open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.2.2.3"
    )
    assert other.status_code == 302
    assert Response.objects.count() == 4


def test_the_default_limit_is_thirty(settings):
    del settings.PINGYI_OPEN_LINK_PER_IP_HOUR  # absent from settings: the default applies
    assert openlink.per_ip_hour() == 30


def test_addresses_are_kept_only_as_an_hmac_in_the_cache(client):
    questionnaire = questionnaire_with_matrix(open_link=True)
    client.post(open_url(questionnaire), full_answers(questionnaire), REMOTE_ADDR="10.3.3.3")
    keys = list(cache._cache.keys())  # LocMemCache in tests
    assert keys and not any("10.3.3.3" in key for key in keys)
    assert not AuditEvent.objects.filter(ip_address="10.3.3.3").exists()
    response = Response.objects.get()
    for field in Response._meta.concrete_fields:
        assert "10.3.3.3" not in str(getattr(response, field.attname))


def test_a_closed_link_or_closed_questionnaire_refuses(client):
    off = questionnaire_with_matrix(open_link=False)
    assert client.get(open_url(off)).status_code == 404
    assert client.post(open_url(off), full_answers(off)).status_code == 404
    assert client.get(reverse("surveys:respond_open", args=["no-such-token"])).status_code == 404

    from datetime import timedelta

    from django.utils import timezone

    closed = questionnaire_with_matrix(open_link=True)
    closed.opens_at = timezone.now() - timedelta(days=3)
    closed.closes_at = timezone.now() - timedelta(minutes=5)
    closed.save()
    page = client.post(open_url(closed), full_answers(closed))
    assert "问卷已截止" in page.content.decode()
    draft = questionnaire_with_matrix(open_link=True, published_at=None)
    assert client.get(open_url(draft)).status_code == 404
    assert Response.objects.count() == 0


def test_errors_keep_answers_and_do_not_count_against_the_limit(client, settings):
    settings.PINGYI_OPEN_LINK_PER_IP_HOUR = 1
    questionnaire = questionnaire_with_matrix(open_link=True)
    data = full_answers(questionnaire)
    text_field = next(k for k in data if "_s" not in k)
    data[text_field] = "保留这段意见"
    partial = {text_field: data[text_field]}  # every matrix cell missing
    page = client.post(open_url(questionnaire), partial)
    assert page.status_code == 200
    assert "保留这段意见" in page.content.decode()
    assert client.post(open_url(questionnaire), data).status_code == 302
    assert Response.objects.get().suspicious is False
