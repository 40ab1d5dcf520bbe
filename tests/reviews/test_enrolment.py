"""Choosing the subjects of a review (评议对象), and the term coverage report."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Subject, SubjectForm
from subjects.models import AuditEvent, Notification, OfficialStatus
from tests.factories import (
    OfficialFactory,
    ReviewFactory,
    SubjectFactory,
    UnitFactory,
    UserFactory,
    WorkingGroupFactory,
)


def years_back(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


# --- The services -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_enrolment_copies_the_roster_skips_duplicates_and_notifies(review, office_clerk):
    linked = UserFactory(username="zhao", roles=["official"])
    unit = UnitFactory(name="县自然资源局")
    zhao = OfficialFactory(name="赵建华", unit=unit, post="局长", user=linked)
    qian = OfficialFactory(name="钱明", unit=unit, post="副局长")
    group = WorkingGroupFactory(review=review)

    created = services.enrol_officials(
        actor=office_clerk, review=review, officials=[zhao, qian], form="onsite", group=group
    )
    assert [s.display_name for s in created] == ["赵建华", "钱明"]
    subject = Subject.objects.get(official=zhao)
    assert (subject.unit_name, subject.post, subject.form, subject.group) == (
        "县自然资源局",
        "局长",
        SubjectForm.ONSITE,
        group,
    )
    note = Notification.objects.get(recipient=linked)
    assert "述职评议对象" in note.title and "现场述职" in note.body
    assert note.url == reverse("reviews:official_subject", args=[subject.pk])

    # Enrolling again (and with one new official) adds only the new one.
    sun = OfficialFactory(name="孙丽", unit=unit)
    again = services.enrol_officials(actor=office_clerk, review=review, officials=[zhao, sun])
    assert [s.display_name for s in again] == ["孙丽"]
    assert Subject.objects.filter(review=review).count() == 3
    assert Subject.objects.filter(review=review, official=zhao).count() == 1
    assert Notification.objects.filter(recipient=linked).count() == 1
    assert AuditEvent.objects.filter(action="review.subjects_enrolled").count() == 2
    # Nothing new: no audit event either.
    assert services.enrol_officials(actor=office_clerk, review=review, officials=[zhao]) == []
    assert AuditEvent.objects.filter(action="review.subjects_enrolled").count() == 2


@pytest.mark.django_db
def test_a_group_of_another_review_is_refused(review, office_clerk):
    other_group = WorkingGroupFactory(review=ReviewFactory(created_by=office_clerk))
    official = OfficialFactory()
    with pytest.raises(ValidationError) as refused:
        services.enrol_officials(
            actor=office_clerk, review=review, officials=[official], group=other_group
        )
    assert refused.value.messages == ["所选评议工作组不属于本次评议。"]
    subject = SubjectFactory(review=review)
    with pytest.raises(ValidationError):
        services.update_subject(
            actor=office_clerk, subject=subject, form=subject.form, group=other_group
        )
    assert not Subject.objects.filter(official=official).exists()


@pytest.mark.django_db
def test_units_are_enrolled_for_a_work_review_and_contacts_notified(office_clerk, official_a):
    review = ReviewFactory(created_by=office_clerk, kind="democratic")
    unit = UnitFactory(name="县市场监督管理局")
    unit.contacts.add(official_a)
    created = services.enrol_units(actor=office_clerk, review=review, units=[unit])
    assert [(s.display_name, s.form, s.official_id) for s in created] == [
        ("县市场监督管理局", SubjectForm.ONSITE, None)
    ]
    assert Notification.objects.filter(recipient=official_a).count() == 1
    assert services.enrol_units(actor=office_clerk, review=review, units=[unit]) == []


@pytest.mark.django_db
def test_enrolment_closes_after_the_investigation(ready_review, office_clerk):
    services.advance_phase(actor=office_clerk, review=ready_review)
    # Still possible while investigating (corrections) …
    assert services.enrol_officials(
        actor=office_clerk, review=ready_review, officials=[OfficialFactory()]
    )
    subject = ready_review.subjects.first()
    with pytest.raises(ValidationError, match="准备阶段"):
        services.remove_subject(actor=office_clerk, subject=subject)
    # … not once the meeting has begun.
    services.advance_phase(actor=office_clerk, review=ready_review)
    with pytest.raises(ValidationError, match="评议会议"):
        services.enrol_officials(
            actor=office_clerk, review=ready_review, officials=[OfficialFactory()]
        )


@pytest.mark.django_db(transaction=True)
def test_two_clerks_enrolling_the_same_official_at_once_make_one_subject(requires_postgres):
    office = UserFactory(username="clerk1", roles=["office"])
    review = ReviewFactory(created_by=office)
    linked = UserFactory(username="linked", roles=["official"])
    official = OfficialFactory(user=linked)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    results: list[int] = []

    def enrol():
        try:
            barrier.wait(timeout=10)
            created = services.enrol_officials(actor=office, review=review, officials=[official])
            results.append(len(created))
        except BaseException as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert Subject.objects.filter(review=review, official=official).count() == 1
    assert Notification.objects.filter(recipient=linked).count() == 1


# --- The enrolment page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_tenure_filter_lists_candidates_and_enrols_the_chosen(client, review, office_clerk):
    unit = UnitFactory(name="县交通运输局")
    senior = OfficialFactory(name="老张", unit=unit, in_post_since=years_back(3, days=1))
    junior = OfficialFactory(name="小李", unit=unit, in_post_since=years_back(1))
    OfficialFactory(name="冯离任", unit=unit, status=OfficialStatus.LEFT)
    enrolled = OfficialFactory(name="陈在册", unit=unit, in_post_since=years_back(5))
    SubjectFactory(review=review, official=enrolled)
    group = WorkingGroupFactory(review=review, name="第一评议工作组")

    client.force_login(office_clerk)
    url = reverse("reviews:enrol", args=[review.pk])
    page = client.get(url, {"min_years": 3}).content.decode()
    assert "老张" in page
    assert "小李" not in page and "冯离任" not in page and "陈在册" not in page
    assert "小李" in client.get(url).content.decode()

    response = client.post(
        f"{url}?min_years=3",
        {"chosen": [senior.pk], "form": "onsite", "group": group.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?min_years=3"
    subject = Subject.objects.get(review=review, official=senior)
    assert subject.form == "onsite" and subject.group == group
    assert not Subject.objects.filter(official=junior).exists()


@pytest.mark.django_db
def test_filters_and_ticks_survive_a_post_error(client, review, office_clerk):
    unit = UnitFactory(name="县教育局")
    first = OfficialFactory(name="甲", unit=unit, in_post_since=years_back(4))
    OfficialFactory(name="乙", unit=unit, in_post_since=years_back(4))
    client.force_login(office_clerk)
    url = reverse("reviews:enrol", args=[review.pk])
    query = f"min_years=3&unit={unit.pk}&q=%E7%94%B2"
    # No form chosen: an error, the filters and the tick are kept.
    response = client.post(f"{url}?{query}", {"chosen": [first.pk], "form": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "这个字段是必填项。" in page
    assert f'value="{first.pk}" id="chosen-{first.pk}" checked' in page
    assert 'name="min_years" value="3"' in page
    assert f'<option value="{unit.pk}" selected>' in page
    assert 'value="甲"' in page
    assert "乙" not in page  # still filtered by keyword
    assert f'action="?{query.replace("&", "&amp;")}"' in page
    assert not Subject.objects.exists()

    # Nothing ticked.
    response = client.post(f"{url}?{query}", {"form": "written"})
    assert "请至少勾选一项。" in response.content.decode()


@pytest.mark.django_db
def test_unit_enrolment_page_for_a_democratic_review(client, office_clerk):
    review = ReviewFactory(created_by=office_clerk, kind="democratic")
    unit = UnitFactory(name="县人力资源和社会保障局", category="government")
    UnitFactory(name="某镇", category="township")
    UnitFactory(name="已撤销单位", is_active=False)
    client.force_login(office_clerk)
    url = reverse("reviews:enrol", args=[review.pk])
    page = client.get(url, {"category": "government"}).content.decode()
    assert "县人力资源和社会保障局" in page and "某镇" not in page and "已撤销单位" not in page
    response = client.post(url, {"chosen": [unit.pk], "form": "onsite"})
    assert response.status_code == 302
    assert Subject.objects.get(review=review).unit == unit
    assert "县人力资源和社会保障局" not in client.get(url).content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.django_db
def test_enrolment_page_query_count_does_not_grow_with_candidates(client, review, office_clerk):
    WorkingGroupFactory(review=review)
    for _ in range(3):
        OfficialFactory(in_post_since=years_back(4))
    client.force_login(office_clerk)
    url = reverse("reviews:enrol", args=[review.pk]) + "?min_years=3"
    client.get(url)
    small = _queries(client, url)
    for _ in range(40):
        OfficialFactory(in_post_since=years_back(4))
    WorkingGroupFactory(review=review)
    large = _queries(client, url)
    assert small == large
    assert client.get(url).content.decode().count('name="chosen"') == 43


# --- Coverage of the term ---------------------------------------------------------------------


@pytest.mark.django_db
def test_coverage_splits_serving_officials_of_the_term(client, office_clerk):
    unit = UnitFactory(name="县财政局")
    reviewed = OfficialFactory(name="已评", unit=unit, term="第十七届")
    OfficialFactory(name="未评", unit=unit, term="第十七届")
    OfficialFactory(name="离任者", unit=unit, term="第十七届", status=OfficialStatus.LEFT)
    OfficialFactory(name="上届人员", unit=unit, term="第十六届")
    last_year = ReviewFactory(created_by=office_clerk, term="第十七届", year=2024)
    SubjectFactory(review=last_year, official=reviewed)
    ReviewFactory(created_by=office_clerk, term="第十七届", year=2025)

    client.force_login(office_clerk)
    response = client.get(reverse("reviews:coverage"))
    page = response.content.decode()
    assert response.context["term"] == "第十七届"  # the newest review's term
    assert [o.name for o in response.context["report"]["reviewed"]] == ["已评"]
    assert [o.name for o in response.context["report"]["not_reviewed"]] == ["未评"]
    assert "县财政局" in page and "离任者" not in page and "上届人员" not in page
    assert "已评 1 / 共 2 人" in page

    other = client.get(reverse("reviews:coverage"), {"term": "第十六届"})
    assert [o.name for o in other.context["report"]["not_reviewed"]] == ["上届人员"]
