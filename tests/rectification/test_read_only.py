"""After 归档 the review is read-only: representative services of every app refuse with a
Chinese message and change nothing (subjects.audit.record refuses inside the service's
transaction, or the service's own phase check refuses first), and POSTs to their pages show
the message instead of failing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rectification import archive, cases, documents, opinions
from rectification.models import (
    CaseStatus,
    Document,
    FollowUp,
    FollowUpKind,
    ObligationKind,
    RectificationCase,
    RectificationItem,
    RectificationPlan,
)
from reviews import meetings, services
from reviews.models import Review
from reviews.workflow import Phase
from subjects.audit import ARCHIVED_MESSAGE
from subjects.models import AuditEvent
from surveys import builder
from surveys.models import Audience, Questionnaire
from tests.rectification.test_archive import build_archive_world, ledger  # noqa: F401

FAR = timezone.localdate() + timedelta(days=400)


@pytest.fixture
def archived(office_clerk, chair, official_a):
    world = build_archive_world(office_clerk, chair, official_a)
    # Published on its public page before archiving, so publishing steps reach their record.
    Review.objects.filter(pk=world.review.pk).update(published_at=timezone.now())
    RectificationCase.objects.filter(pk=world.case.pk).update(status=CaseStatus.CLOSED)
    job = archive.start(actor=office_clerk, review=world.review)
    archive.run(job.pk)
    world.review.refresh_from_db()
    assert world.review.phase == Phase.ARCHIVED
    return world


def snapshot(world):
    """Everything the attempts below could touch."""
    review = Review.objects.get(pk=world.review.pk)
    document = Document.objects.get(pk=world.document.pk)
    plan = RectificationPlan.objects.get(case=world.case)
    return {
        "events": AuditEvent.objects.exclude(action__startswith="auth.").count(),
        "review": (review.title, review.phase, review.published_at),
        "document": (document.published_at, document.received_on),
        "plan": (plan.summary, plan.status),
        "items": list(RectificationItem.objects.values_list("measures", flat=True)),
        "due": list(world.case.rounds.values_list("obligations__due_on", flat=True)),
        "follow_ups": FollowUp.objects.count(),
        "questionnaires": Questionnaire.objects.count(),
        "poll": meetings.Poll.objects.get(pk=world.poll.pk).public_at,
    }


def attempts(world, office, official):
    plan_obligation = cases.obligation_of(world.case.rounds.get(number=1), ObligationKind.PLAN)
    item = world.case.items.first()
    opinion = world.case.opinion
    return {
        "修改评议活动": lambda: services.update_review(
            actor=office, review=world.review, data={"title": "改过的标题"}
        ),
        "撤回公示": lambda: services.withdraw_announcement(actor=office, review=world.review),
        "保存评议意见": lambda: opinions.save_opinion(
            actor=office,
            opinion=opinion,
            version=opinion.version,
            title=opinion.title,
            opening=opinion.opening,
            overall="改过的评价",
            overall_internal=False,
            requirements=opinion.requirements,
            clauses=[],
        ),
        "公开公文": lambda: documents.publish(actor=office, document=world.document),
        "保存整改方案": lambda: cases.save_plan(
            actor=official,
            case=world.case,
            summary="改过的方案",
            items={item.pk: {"measures": "改过的措施"}},
        ),
        "调整时限": lambda: cases.move_deadline(
            actor=office, obligation=plan_obligation, due_on=FAR, reason="主任会议决定"
        ),
        "记录跟踪监督": lambda: cases.record_follow_up(
            actor=office,
            case=world.case,
            kind=FollowUpKind.INQUIRY,
            session="第三十次常委会会议",
            held_on=timezone.localdate(),
            summary="询问",
        ),
        "新建问卷": lambda: builder.create_questionnaire(
            actor=office, review=world.review, title="归档后的问卷"
        ),
        "公开测评结果": lambda: meetings.make_poll_public(actor=office, poll=world.poll),
    }


@pytest.mark.django_db
def test_services_refuse_and_change_nothing(archived, office_clerk, official_a):
    before = snapshot(archived)
    refused = {}
    for label, attempt in attempts(archived, office_clerk, official_a).items():
        with pytest.raises(ValidationError) as error:
            attempt()
        refused[label] = " ".join(error.value.messages)
        assert snapshot(archived) == before, label
    for label, message in refused.items():
        assert "归档" in message, (label, message)
    # Those that got as far as recording their decision were refused by the audit helper.
    assert refused["公开公文"] == ARCHIVED_MESSAGE
    assert refused["撤回公示"] == ARCHIVED_MESSAGE
    assert refused["公开测评结果"] == ARCHIVED_MESSAGE
    assert refused["保存整改方案"] == ARCHIVED_MESSAGE


@pytest.mark.django_db
def test_archiving_itself_and_downloads_are_still_recorded(archived, office_clerk, client):
    assert AuditEvent.objects.filter(
        review_id=archived.review.pk, action="archive.created"
    ).exists()
    client.force_login(office_clerk)
    url = reverse("rectification:archive_download", args=[archived.review.pk])
    assert client.get(url).status_code == 200


def case_posts(world):
    plan_obligation = cases.obligation_of(world.case.rounds.get(number=1), ObligationKind.PLAN)
    return [
        (
            reverse("rectification:case_deadline", args=[world.case.pk]),
            {"obligation": plan_obligation.pk, "due_on": FAR.isoformat(), "reason": "主任会议决定"},
        ),
        (
            reverse("rectification:case_follow_up", args=[world.case.pk]),
            {
                "kind": FollowUpKind.INQUIRY,
                "session": "第三十次常委会会议",
                "held_on": timezone.localdate().isoformat(),
                "summary": "询问",
            },
        ),
    ]


@pytest.mark.django_db
def test_posts_show_the_message(archived, client, office_clerk):
    before = snapshot(archived)
    client.force_login(office_clerk)
    posts = [
        (
            reverse("rectification:document_publish", args=[archived.document.pk]),
            {},
            ARCHIVED_MESSAGE,
        ),
        (reverse("reviews:poll_make_public", args=[archived.poll.pk]), {}, ARCHIVED_MESSAGE),
        (
            reverse("surveys:questionnaire_create", args=[archived.review.pk]),
            {
                "title": "归档后的问卷",
                "audience": Audience.DEPUTIES,
                "opens_at": "2026-12-01 09:00",
                "closes_at": "2026-12-10 17:00",
            },
            "不能再新建或修改问卷",
        ),
    ]
    for url, data, message in posts:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert message in page, url
    assert 'value="归档后的问卷"' in page  # R23: the form keeps what was typed
    for url, data in case_posts(archived):
        # The case page's forms refuse too: no 500, nothing changes.
        assert client.post(url, data, follow=True).status_code == 200, url
    assert snapshot(archived) == before


@pytest.mark.django_db
def test_case_form_posts_show_the_message(archived, client, office_clerk):
    client.force_login(office_clerk)
    for url, data in case_posts(archived):
        page = client.post(url, data, follow=True).content.decode()
        assert ARCHIVED_MESSAGE in page, url
