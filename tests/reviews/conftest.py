"""Fixtures of the review tests: a review ready to leave 准备, real uploaded documents."""

from datetime import date

import pytest

from reviews import services
from reviews.models import LeadershipPosition
from subjects.files import in_memory
from tests.factories import ReviewFactory, SubjectFactory, WorkingGroupFactory

TIMETABLE = {
    "prepare_starts_on": date(2025, 3, 1),
    "prepare_ends_on": date(2025, 4, 15),
    # Overlaps 准备 as in seed 001 (准备 in August, 初评 from 20 August).
    "investigate_starts_on": date(2025, 4, 10),
    "investigate_ends_on": date(2025, 6, 30),
    "meeting_starts_on": date(2025, 7, 1),
    "meeting_ends_on": date(2025, 7, 31),
    "rectify_starts_on": date(2025, 8, 1),
    "rectify_ends_on": date(2025, 11, 30),
}


@pytest.fixture(scope="session")
def pdf_bytes():
    import weasyprint

    return weasyprint.HTML(string="<p>实施方案</p>").write_pdf()


@pytest.fixture
def review(office_clerk):
    return ReviewFactory(created_by=office_clerk, title="2025 年度述职评议")


def approve_plan(review, office, council, pdf):
    services.upload_plan(actor=office, review=review, uploaded=in_memory(pdf, "实施方案.pdf"))
    services.submit_plan(actor=office, review=review)
    return services.decide_plan(actor=council, review=review, approve=True)


def make_ready(review, office, council, pdf):
    """Satisfy every precondition of leaving 准备."""
    approve_plan(review, office, council, pdf)
    services.save_leadership(
        actor=office,
        review=review,
        members=[(council, LeadershipPosition.LEADER, "常委会常务副主任")],
    )
    services.update_review(actor=office, review=review, data=TIMETABLE)
    group = WorkingGroupFactory(review=review, leader=council)
    SubjectFactory(review=review, group=group)
    review.refresh_from_db()
    return review


@pytest.fixture
def ready_review(review, office_clerk, chair, pdf_bytes):
    return make_ready(review, office_clerk, chair, pdf_bytes)
