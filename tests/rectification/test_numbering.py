"""发文字号 under concurrency (PostgreSQL): documents issued at the same moment get distinct,
consecutive numbers with no gap; a rolled-back issue gives its number back; numbers run per
issuing organ and restart each year; one opinion issued twice at once makes one document."""

import threading
import time
from datetime import date
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rectification import documents, opinions
from rectification.models import (
    Document,
    DocumentKind,
    DocumentSequence,
    DocumentStatus,
    IssuingOrgan,
    Opinion,
    OpinionStatus,
)
from reviews.models import Review
from reviews.workflow import Phase
from subjects.roles import Role
from tests.factories import ReviewFactory, SubjectFactory, UserFactory
from tests.reviews.test_secret_ballot import run_at_once

N = 8


@pytest.fixture
def clerk(db):
    return UserFactory(username="numbering-clerk", roles=[Role.OFFICE])


@pytest.fixture
def review(clerk):
    review = ReviewFactory(created_by=clerk)
    Review.objects.filter(pk=review.pk).update(phase=Phase.MEETING)
    review.refresh_from_db()
    return review


@pytest.fixture
def sent():
    """The render tasks sent (after commit) instead of reaching a broker."""
    with mock.patch.object(documents, "current_app") as app:
        yield app.send_task


def drafts(review, clerk, count, organ=None):
    return [
        documents.create_document(
            actor=clerk,
            review=review,
            kind=DocumentKind.RESULT_NOTICE,
            title=f"关于第{n}次测评结果的通报",
            body=[{"kind": "paragraph", "text": "测评结果如下。"}],
            organ=organ,
        )
        for n in range(count)
    ]


def approved_opinions(review, clerk, count):
    result = []
    for n in range(count):
        subject = SubjectFactory(review=review)
        result.append(
            Opinion.objects.create(
                review=review,
                subject=subject,
                status=OpinionStatus.APPROVED,
                title=f"关于对{subject.display_name}同志\n履职情况的评议意见",
                overall=f"总体评价{n}。",
                requirements="请于1个月内报送整改方案。",
                council_session="第三十二次主任会议",
                council_date=timezone.localdate(),
                updated_by=clerk,
            )
        )
    return result


def numbers(organ, year):
    return sorted(
        Document.objects.filter(organ=organ, year=year, status=DocumentStatus.ISSUED).values_list(
            "number", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_documents_issued_at_once_get_consecutive_numbers(requires_postgres, review, clerk, sent):
    pending = drafts(review, clerk, N)
    year = timezone.localdate().year
    outcomes, errors = run_at_once(
        [lambda d=d: documents.issue_document(actor=clerk, document=d) for d in pending]
    )
    assert errors == [] and outcomes == ["ok"] * N
    organ = documents.default_organ()
    assert numbers(organ, year) == list(range(1, N + 1))
    assert DocumentSequence.objects.get(organ=organ, year=year).last == N
    # One render task per document, each sent after its own commit.
    assert sorted(call.kwargs["args"][0] for call in sent.call_args_list) == sorted(
        d.pk for d in pending
    )


@pytest.mark.django_db(transaction=True)
def test_opinions_issued_at_once_get_consecutive_numbers(requires_postgres, review, clerk, sent):
    pending = approved_opinions(review, clerk, N)
    outcomes, errors = run_at_once(
        [lambda o=o: opinions.issue_opinion(actor=clerk, opinion=o) for o in pending]
    )
    assert errors == [] and outcomes == ["ok"] * N
    issued = Document.objects.filter(kind=DocumentKind.OPINION)
    assert issued.count() == N
    assert sorted(issued.values_list("number", flat=True)) == list(range(1, N + 1))
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.ISSUED}
    assert len(sent.call_args_list) == N


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_issue_leaves_no_gap(requires_postgres, review, clerk, sent):
    """A holds the sequence row and rolls back; B, blocked on the row meanwhile, gets the
    number A had taken, and the next one after that follows without a gap."""
    first, second, third = drafts(review, clerk, 3)
    allocated = threading.Event()
    seen = {}

    class Abandoned(Exception):
        pass

    def issue_then_roll_back():
        try:
            with transaction.atomic():
                document = documents.issue_document(actor=clerk, document=first)
                seen["a"] = document.number
                allocated.set()
                time.sleep(0.5)  # B is now waiting for the sequence row
                raise Abandoned
        except Abandoned:
            pass

    def issue_after_a_allocated():
        assert allocated.wait(10)
        started = time.monotonic()
        seen["b"] = documents.issue_document(actor=clerk, document=second).number
        seen["waited"] = time.monotonic() - started

    outcomes, errors = run_at_once([issue_then_roll_back, issue_after_a_allocated])
    assert errors == [] and outcomes == ["ok", "ok"]
    assert seen["a"] == 1 and seen["b"] == 1
    assert seen["waited"] > 0.3  # B really waited for A's lock
    first.refresh_from_db()
    assert first.status == DocumentStatus.DRAFT and first.number is None
    assert documents.issue_document(actor=clerk, document=third).number == 2
    assert numbers(documents.default_organ(), timezone.localdate().year) == [1, 2]
    # Nothing was sent for the rolled-back issue (R17).
    assert sorted(call.kwargs["args"][0] for call in sent.call_args_list) == sorted(
        [second.pk, third.pk]
    )
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_numbers_restart_each_year_and_run_per_organ(requires_postgres, review, clerk, sent):
    other = IssuingOrgan.objects.create(
        name="示范县人大常委会办公室",
        header="示范县人大常委会办公室文件",
        code="示人常办发",
        signature="示范县人大常委会办公室",
        printer="示范县人大常委会办公室",
    )
    default = documents.default_organ()
    pending = drafts(review, clerk, 5) + drafts(review, clerk, 3, organ=other)
    days = [date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 2), date(2025, 1, 3)]
    for document, day in zip(pending[:4], days, strict=True):
        documents.issue_document(actor=clerk, document=document, signed_on=day)
    documents.issue_document(actor=clerk, document=pending[4], signed_on=date(2025, 2, 1))
    for document in pending[5:]:
        documents.issue_document(actor=clerk, document=document, signed_on=date(2025, 3, 1))

    refs = [Document.objects.get(pk=d.pk).reference for d in pending]
    assert refs == [
        f"{default.code}〔2024〕1号",
        f"{default.code}〔2024〕2号",
        f"{default.code}〔2025〕1号",
        f"{default.code}〔2025〕2号",
        f"{default.code}〔2025〕3号",
        "示人常办发〔2025〕1号",
        "示人常办发〔2025〕2号",
        "示人常办发〔2025〕3号",
    ]
    assert numbers(default, 2024) == [1, 2] and numbers(other, 2025) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_one_opinion_issued_twice_at_once_makes_one_document(
    requires_postgres, review, clerk, sent
):
    [opinion] = approved_opinions(review, clerk, 1)
    made = []
    outcomes, errors = run_at_once(
        [lambda: made.append(opinions.issue_opinion(actor=clerk, opinion=opinion).pk)] * 4
    )
    assert errors == [] and outcomes == ["ok"] * 4
    document = Document.objects.get(opinion=opinion)  # exactly one
    assert made == [document.pk] * 4
    assert document.number == 1 and document.source_version == opinion.version
    assert DocumentSequence.objects.get().last == 1  # no number was taken and thrown away
    assert [call.kwargs["args"] for call in sent.call_args_list] == [[document.pk]]
