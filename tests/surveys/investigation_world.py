"""A review in 调查/初评 with two working groups, their subjects and every persona, shared by
the investigation tests (activities, 问题清单, 调查报告). Imported by those test modules."""

import io
from dataclasses import dataclass
from datetime import date

from django.test import Client

from reviews.models import LeadershipMember, LeadershipPosition, Review, WorkingGroup
from reviews.workflow import Phase
from subjects.roles import Role
from surveys import findings as finding_services
from surveys import investigation
from surveys.models import Activity
from tests.factories import ReviewFactory, SubjectFactory, UserFactory, WorkingGroupFactory

LOGIN = "login"
# Who may read a group's records: own group, office, council. Others: see `expected`.
PERSONAS = ("anon", "office", "council", "group", "other_group", "member", "deputy", "official")


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("座谈会记录")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@dataclass
class World:
    review: Review
    group_a: WorkingGroup
    group_b: WorkingGroup
    a1: object
    a2: object
    b1: object
    users: dict

    def user(self, persona):
        return self.users[persona]

    def client(self, persona) -> Client:
        client = Client()
        if self.users.get(persona) is not None:
            client.force_login(self.users[persona])
        return client

    def set_phase(self, phase):
        Review.objects.filter(pk=self.review.pk).update(phase=phase)
        self.review.refresh_from_db()

    def activity(self, *, group=None, subjects=None, user=None, **data) -> Activity:
        group = group or self.group_a
        subjects = subjects or [self.a1]
        values = {
            "kind": "forum",
            "held_on": date(2025, 5, 20),
            "place": "县人大常委会三楼会议室",
            "participants": "县人大代表 12 人",
            "notes": "代表反映审批时限偏长。",
        }
        values.update(data)
        return investigation.create_activity(
            actor=user or self.users["group"],
            review=self.review,
            group=group,
            subjects=subjects,
            **values,
        )

    def finding(self, subject=None, *, user=None, **data):
        values = {
            "category": "law",
            "description": "行政许可超时办结",
            "source": "forum",
            "activity": None,
            "questionnaire": None,
            "source_note": "",
            "severity": "minor",
        }
        values.update(data)
        return finding_services.create_finding(
            actor=user or self.users["group"], subject=subject or self.a1, **values
        )


def build_world(office_clerk, chair, group_member, committee_member, deputy, official_a) -> World:
    review = ReviewFactory(created_by=office_clerk, title="2025 年度述职评议")
    other = UserFactory(username="grp_b", full_name="何志强", roles=[Role.GROUP_MEMBER])
    group_a = WorkingGroupFactory(review=review, name="第一评议工作组", leader=group_member)
    group_b = WorkingGroupFactory(review=review, name="第二评议工作组", leader=other)
    a1 = SubjectFactory(review=review, group=group_a, display_name="王建国", order=1)
    a2 = SubjectFactory(review=review, group=group_a, display_name="李红梅", order=2)
    b1 = SubjectFactory(review=review, group=group_b, display_name="张卫东", order=3)
    LeadershipMember.objects.create(
        review=review, user=chair, position=LeadershipPosition.LEADER, title="常委会主任"
    )
    Review.objects.filter(pk=review.pk).update(phase=Phase.INVESTIGATE)
    review.refresh_from_db()
    users = {
        "anon": None,
        "office": office_clerk,
        "council": chair,
        "group": group_member,
        "other_group": other,
        "member": committee_member,
        "deputy": deputy,
        "official": official_a,
    }
    return World(review, group_a, group_b, a1, a2, b1, users)


def expected(persona: str, *, write: bool) -> object:
    """The R10 matrix for a record of group A: LOGIN, 403, 404 or 'ok'."""
    if persona == "anon":
        return LOGIN
    if persona in ("member", "deputy", "official"):
        return 403
    if persona == "other_group":
        return 404
    if persona == "council" and write:
        return 403
    return "ok"


def assert_outcome(response, outcome) -> None:
    if outcome == LOGIN:
        assert response.status_code == 302
        assert "/login" in response["Location"]
    elif outcome == "ok":
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert "/login" not in response["Location"]
    else:
        assert response.status_code == outcome, (response.status_code, outcome)
