"""The 问题清单: who may open and post every view (R10), stable numbers (allocated under a
lock, consecutive under concurrency on PostgreSQL, never reused), withdrawal instead of
deletion, audited edits, filters and counts, the Excel export and fixed query counts."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from reviews.workflow import Phase
from subjects.models import AuditEvent
from surveys import findings as finding_services
from surveys.models import Finding, FindingStatus
from tests.factories import QuestionnaireFactory, ReviewFactory, SubjectFactory, WorkingGroupFactory
from tests.reviews.test_secret_ballot import run_at_once
from tests.surveys.investigation_world import (
    PERSONAS,
    assert_outcome,
    build_world,
    expected,
)


@pytest.fixture
def world(office_clerk, chair, group_member, committee_member, deputy, official_a):
    return build_world(office_clerk, chair, group_member, committee_member, deputy, official_a)


def finding_data(**overrides):
    data = {
        "category": "duty",
        "severity": "serious",
        "description": "重点项目推进缓慢",
        "source": "interview",
        "activity": "",
        "questionnaire": "",
        "source_note": "",
    }
    data.update(overrides)
    return data


# --- R10 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_read_views_matrix(world, persona):
    world.finding(description="甲组的问题")
    client = world.client(persona)
    outcome = expected(persona, write=False)
    assert_outcome(client.get(reverse("surveys:subject", args=[world.a1.pk])), outcome)
    for name in ("finding_list", "finding_export"):
        response = client.get(reverse(f"surveys:{name}", args=[world.review.pk]))
        if persona == "other_group":
            assert response.status_code == 200
            if name == "finding_list":
                assert "甲组的问题" not in response.content.decode()
        else:
            assert_outcome(response, outcome)


@pytest.mark.parametrize("persona", PERSONAS)
def test_write_views_matrix(world, persona):
    finding = world.finding()
    withdrawn = world.finding(description="待恢复")
    finding_services.withdraw_finding(actor=world.user("group"), finding=withdrawn)
    client = world.client(persona)
    outcome = expected(persona, write=True)
    assert_outcome(client.get(reverse("surveys:finding_create", args=[world.a1.pk])), outcome)
    assert_outcome(client.get(reverse("surveys:finding_edit", args=[finding.pk])), outcome)
    create = client.post(
        reverse("surveys:finding_create", args=[world.a1.pk]),
        finding_data(description=f"{persona} 新增"),
    )
    edit = client.post(
        reverse("surveys:finding_edit", args=[finding.pk]),
        finding_data(description=f"{persona} 修改"),
    )
    restore = client.post(reverse("surveys:finding_restore", args=[withdrawn.pk]))
    withdraw = client.post(reverse("surveys:finding_withdraw", args=[finding.pk]))
    for response in (create, edit, restore, withdraw):
        assert_outcome(response, outcome)
    allowed = outcome == "ok"
    assert Finding.objects.filter(description=f"{persona} 新增").exists() == allowed
    finding.refresh_from_db()
    withdrawn.refresh_from_db()
    assert (finding.description == f"{persona} 修改") == allowed
    assert (finding.status == FindingStatus.WITHDRAWN) == allowed
    assert (withdrawn.status == FindingStatus.ACTIVE) == allowed


def test_other_group_cannot_add_findings_to_our_subject_through_the_service(world):
    with pytest.raises(Exception) as caught:
        world.finding(user=world.user("other_group"))
    assert caught.type.__name__ == "PermissionDenied"
    assert Finding.objects.count() == 0


# --- numbering ----------------------------------------------------------------------------------


def test_numbers_run_per_review_across_subjects_and_groups(world):
    first = world.finding(world.a1)
    second = world.finding(world.b1, user=world.user("other_group"))
    third = world.finding(world.a2)
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.code == "问题-2025-001"
    assert third.code == "问题-2025-003"
    # Another review has its own sequence.
    other_review = ReviewFactory(year=2024)
    group = WorkingGroupFactory(review=other_review, leader=world.user("group"))
    subject = SubjectFactory(review=other_review, group=group)
    other_review.phase = Phase.INVESTIGATE
    other_review.save(update_fields=["phase"])
    elsewhere = world.finding(subject)
    assert elsewhere.number == 1
    assert elsewhere.code == "问题-2024-001"


def test_withdrawn_numbers_are_never_reused(world):
    first = world.finding()
    last = world.finding()
    finding_services.withdraw_finding(actor=world.user("group"), finding=last, reason="重复")
    nxt = world.finding()
    assert (first.number, last.number, nxt.number) == (1, 2, 3)
    last.refresh_from_db()
    assert last.status == FindingStatus.WITHDRAWN
    assert Finding.objects.filter(pk=last.pk).exists()  # kept, never deleted


def test_edit_keeps_the_number_and_is_audited(world):
    world.finding()
    finding = world.finding(description="原描述")
    response = world.client("group").post(
        reverse("surveys:finding_edit", args=[finding.pk]),
        finding_data(description="新描述", category="conduct", severity="grave"),
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.number == 2
    assert (finding.description, finding.category, finding.severity) == (
        "新描述",
        "conduct",
        "grave",
    )
    event = AuditEvent.objects.get(action="finding.updated")
    assert event.data["description"] == ["原描述", "新描述"]
    assert event.data["category"] == ["law", "conduct"]
    assert AuditEvent.objects.filter(action="finding.created").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_yields_distinct_consecutive_numbers(requires_postgres, world):
    assert connection.vendor == "postgresql"
    subjects = [world.a1, world.a2]

    def job(i):
        return lambda: world.finding(subjects[i % 2], description=f"并发问题 {i}")

    outcomes, errors = run_at_once([job(i) for i in range(12)])

    assert errors == []
    assert outcomes == ["ok"] * 12
    numbers = sorted(Finding.objects.filter(review=world.review).values_list("number", flat=True))
    assert numbers == list(range(1, 13))


# --- withdraw / restore -------------------------------------------------------------------------


def test_withdrawn_finding_is_struck_through_and_cannot_be_edited(world):
    finding = world.finding(description="已整改完毕的问题")
    client = world.client("group")
    response = client.post(
        reverse("surveys:finding_withdraw", args=[finding.pk]), {"reason": "经核实不属实"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="finding.withdrawn")
    assert event.data["reason"] == "经核实不属实"
    page = client.get(reverse("surveys:subject", args=[world.a1.pk])).content.decode()
    assert "<del>问题-2025-001</del>" in page
    assert "<del>已整改完毕的问题</del>" in page
    listing = client.get(reverse("surveys:finding_list", args=[world.review.pk])).content.decode()
    assert "<del>问题-2025-001</del>" in listing
    response = client.post(
        reverse("surveys:finding_edit", args=[finding.pk]), finding_data(description="改")
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.description == "已整改完毕的问题"
    with pytest.raises(ValidationError, match="已撤销"):
        finding_services.update_finding(
            actor=world.user("group"),
            finding=finding,
            **finding_services._clean(
                {**{f: getattr(finding, f) for f in finding_services.FINDING_FIELDS}}
            ),
        )
    client.post(reverse("surveys:finding_restore", args=[finding.pk]))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ACTIVE
    assert finding.number == 1


# --- links and validation -----------------------------------------------------------------------


def test_source_links_are_checked(world):
    ours = world.activity()
    theirs = world.activity(
        group=world.group_b, subjects=[world.b1], user=world.user("other_group")
    )
    other_questionnaire = QuestionnaireFactory()
    questionnaire = QuestionnaireFactory(review=world.review, title="代表满意度问卷")
    client = world.client("group")
    url = reverse("surveys:finding_create", args=[world.a1.pk])
    response = client.post(url, finding_data(activity=theirs.pk))
    assert "只能选择本组在本次评议中记录的调查活动。" in response.content.decode()
    response = client.post(url, finding_data(questionnaire=other_questionnaire.pk))
    assert "只能选择本次评议活动的问卷。" in response.content.decode()
    assert Finding.objects.count() == 0
    response = client.post(
        url, finding_data(activity=ours.pk, questionnaire=questionnaire.pk, source_note="3 人反映")
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.activity == ours and finding.questionnaire == questionnaire
    page = client.get(reverse("surveys:activity", args=[ours.pk])).content.decode()
    assert "问题-2025-001" in page


def test_empty_description_is_refused(world):
    response = world.client("group").post(
        reverse("surveys:finding_create", args=[world.a1.pk]), finding_data(description="")
    )
    assert "请填写问题描述。" in response.content.decode()
    assert Finding.objects.count() == 0


def test_prepare_and_archived_refuse_changes(world):
    world.set_phase(Phase.PREPARE)
    response = world.client("group").post(
        reverse("surveys:finding_create", args=[world.a1.pk]), finding_data(), follow=True
    )
    assert "调查工作尚未开始" in response.content.decode()
    assert Finding.objects.count() == 0
    world.set_phase(Phase.INVESTIGATE)
    finding = world.finding()
    world.set_phase(Phase.ARCHIVED)
    with pytest.raises(ValidationError, match="只能查看"):
        finding_services.withdraw_finding(actor=world.user("group"), finding=finding)
    page = world.client("group").get(reverse("surveys:subject", args=[world.a1.pk]))
    assert reverse("surveys:finding_withdraw", args=[finding.pk]) not in page.content.decode()


# --- the list, counts and export ----------------------------------------------------------------


def test_list_filters_and_counts(world):
    world.finding(world.a1, category="law", severity="minor", description="问题甲")
    world.finding(world.a1, category="duty", severity="grave", description="问题乙")
    gone = world.finding(world.a2, category="law", description="问题丙")
    finding_services.withdraw_finding(actor=world.user("group"), finding=gone)
    world.finding(world.b1, user=world.user("other_group"), description="问题丁")
    url = reverse("surveys:finding_list", args=[world.review.pk])
    office = world.client("office")
    response = office.get(url)
    counts = response.context["counts"]
    assert counts["total"] == 3
    assert {row["subject__display_name"]: row["n"] for row in counts["per_subject"]} == {
        "王建国": 2,
        "张卫东": 1,
    }
    assert {label: n for _v, label, n in counts["per_category"]} == {"依法行政": 2, "履职尽责": 1}
    page = office.get(url, {"category": "duty"}).content.decode()
    assert "问题乙" in page and "问题甲" not in page
    page = office.get(url, {"severity": "grave"}).content.decode()
    assert "问题乙" in page and "问题甲" not in page
    page = office.get(url, {"status": "withdrawn"}).content.decode()
    assert "问题丙" in page and "问题甲" not in page
    page = office.get(url, {"subject": world.b1.pk}).content.decode()
    assert "问题丁" in page and "问题甲" not in page
    # The group member sees only their group's findings and counts.
    response = world.client("group").get(url)
    assert "问题丁" not in response.content.decode()
    assert response.context["counts"]["total"] == 2


def test_excel_export(world):
    world.finding(world.a1, description="审批时限偏长", source_note="座谈会 5 人反映")
    gone = world.finding(world.a2, description="已撤销的问题")
    finding_services.withdraw_finding(actor=world.user("group"), finding=gone)
    world.finding(world.b1, user=world.user("other_group"), description="乙组问题")
    response = world.client("group").get(reverse("surveys:finding_export", args=[world.review.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2025 年度述职评议 问题清单"
    assert rows[1][0] == "编号"
    body = rows[2:]
    assert [r[0] for r in body] == ["问题-2025-001", "问题-2025-002"]
    assert body[0][1] == "王建国" and body[0][5] == "审批时限偏长"
    assert body[0][7] == "座谈会 5 人反映"
    assert body[1][9] == "已撤销"
    # Filters apply to the export too.
    response = world.client("office").get(
        reverse("surveys:finding_export", args=[world.review.pk]), {"status": "active"}
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[5] for r in rows[2:]] == ["审批时限偏长", "乙组问题"]


def test_list_and_subject_page_run_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    activity = world.activity()
    questionnaire = QuestionnaireFactory(review=world.review)
    for i in range(45):
        world.finding(
            [world.a1, world.a2][i % 2],
            description=f"问题{i}",
            activity=activity if i % 3 == 0 else None,
            questionnaire=questionnaire if i % 3 == 1 else None,
        )
    client = world.client("group")
    url = reverse("surveys:finding_list", args=[world.review.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert "问题44" in response.content.decode()
    subject_url = reverse("surveys:subject", args=[world.a1.pk])
    client.get(subject_url)
    with django_assert_max_num_queries(16):
        response = client.get(subject_url)
    assert "问题44" in response.content.decode()
