"""The official's own pages (R10: only their own enrolments, 404 otherwise) and the public
announcement (公示): no login, nothing unpublished reachable."""

from datetime import date

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import ReviewKind, SubjectForm
from subjects.files import in_memory
from subjects.models import Notification, Official, Unit, UnitCategory
from tests.subjects.test_files import real_pdf

TIMETABLE = {
    "prepare_starts_on": date(2026, 3, 1),
    "prepare_ends_on": date(2026, 3, 31),
    "investigate_starts_on": date(2026, 4, 1),
    "investigate_ends_on": date(2026, 6, 30),
    "meeting_starts_on": date(2026, 7, 1),
    "meeting_ends_on": date(2026, 7, 31),
    "rectify_starts_on": date(2026, 8, 1),
    "rectify_ends_on": date(2026, 11, 30),
}


@pytest.fixture
def roster(official_a, official_b):
    land = Unit.objects.create(name="县自然资源局", category=UnitCategory.GOVERNMENT)
    market = Unit.objects.create(name="县市场监督管理局", category=UnitCategory.GOVERNMENT)
    a = Official.objects.create(
        name="赵建华",
        gender="M",
        unit=land,
        post="局长",
        appointed_on=date(2020, 1, 1),
        in_post_since=date(2020, 1, 1),
        term="第十八届",
        user=official_a,
    )
    b = Official.objects.create(
        name="孙丽",
        gender="F",
        unit=market,
        post="局长",
        appointed_on=date(2021, 1, 1),
        in_post_since=date(2021, 1, 1),
        term="第十八届",
        user=official_b,
    )
    return {"land": land, "market": market, "a": a, "b": b}


@pytest.fixture
def review(office_clerk, roster):
    review = services.create_review(
        actor=office_clerk,
        kind=ReviewKind.DUTY,
        year=2026,
        title="2026年度述职评议",
        term="第十八届",
        **TIMETABLE,
    )
    services.enrol_officials(
        actor=office_clerk, review=review, officials=[roster["a"]], form=SubjectForm.ONSITE
    )
    return review


@pytest.mark.django_db
def test_official_sees_own_enrolment_and_was_notified(client, official_a, review):
    subject = review.subjects.get()
    assert Notification.objects.filter(recipient=official_a, title__contains=review.title).exists()
    client.force_login(official_a)
    html = client.get(reverse("reviews:official_home")).content.decode()
    assert review.title in html and "现场述职" in html
    detail = client.get(reverse("reviews:official_subject", args=[subject.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "评议办尚未分组" in text and "2026年3月1日" in text


@pytest.mark.django_db
def test_other_official_gets_404_and_sees_nothing(client, official_b, review):
    subject = review.subjects.get()
    client.force_login(official_b)
    assert review.title not in client.get(reverse("reviews:official_home")).content.decode()
    assert client.get(reverse("reviews:official_subject", args=[subject.pk])).status_code == 404
    url = reverse("reviews:official_plan_document", args=[subject.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_unit_contact_sees_the_unit_enrolment(client, office_clerk, official_b, review, roster):
    roster["land"].contacts.add(official_b)
    services.enrol_units(actor=office_clerk, review=review, units=[roster["land"]])
    client.force_login(official_b)
    html = client.get(reverse("reviews:official_home")).content.decode()
    assert "县自然资源局" in html and review.title in html


@pytest.mark.django_db
def test_other_roles_cannot_use_the_portal(client, deputy, committee_member, review):
    subject = review.subjects.get()
    for user in (deputy, committee_member):
        client.force_login(user)
        assert client.get(reverse("reviews:official_subject", args=[subject.pk])).status_code == 403


@pytest.mark.django_db
def test_plan_is_downloadable_by_the_official_only_once_approved(
    client, office_clerk, chair, official_a, review
):
    subject = review.subjects.get()
    url = reverse("reviews:official_plan_document", args=[subject.pk])
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(real_pdf(), "实施方案（定稿）.pdf")
    )
    client.force_login(official_a)
    assert client.get(url).status_code == 404
    services.submit_plan(actor=office_clerk, review=review)
    services.decide_plan(actor=chair, review=review, approve=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_public_page_only_while_published(client, office_clerk, chair, review):
    url = reverse("reviews:public_review", args=[review.pk])
    assert client.get(url).status_code == 404
    assert review.title not in client.get(reverse("reviews:public_index")).content.decode()
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(real_pdf(), "方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    services.decide_plan(actor=chair, review=review, approve=True)
    services.publish_announcement(actor=office_clerk, review=review)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "赵建华" in html and "现场述职" in html and "贯彻执行法律法规" in html
    assert review.title in client.get(reverse("reviews:public_index")).content.decode()
    services.withdraw_announcement(actor=office_clerk, review=review)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_public_pages_never_show_the_plan_file_or_groups(client, office_clerk, chair, review):
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(real_pdf(), "方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    services.decide_plan(actor=chair, review=review, approve=True)
    services.publish_announcement(actor=office_clerk, review=review)
    html = client.get(reverse("reviews:public_review", args=[review.pk])).content.decode()
    assert "方案.pdf" not in html and "/media/" not in html


@pytest.mark.django_db
def test_production_hands_private_files_to_nginx(
    client, settings, office_clerk, chair, official_a, review
):
    settings.PINGYI_ACCEL_REDIRECT_PREFIX = "/_protected"
    subject = review.subjects.get()
    services.upload_plan(
        actor=office_clerk, review=review, uploaded=in_memory(real_pdf(), "实施方案.pdf")
    )
    services.submit_plan(actor=office_clerk, review=review)
    services.decide_plan(actor=chair, review=review, approve=True)
    client.force_login(official_a)
    response = client.get(reverse("reviews:official_plan_document", args=[subject.pk]))
    review.refresh_from_db()
    assert response["X-Accel-Redirect"] == "/_protected/" + review.plan_document.name
    assert review.plan_document.name.startswith("private/reviews/")
    assert "实施方案" not in review.plan_document.name  # stored under a random name (R15)
    assert response.content == b""
    assert "filename*=utf-8''" in response["Content-Disposition"]
