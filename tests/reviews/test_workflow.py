"""The phase machine: pure tests of reviews/workflow.py (no database), then advance_phase."""

from dataclasses import replace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reviews import services, workflow
from reviews.models import LeadershipPosition
from reviews.workflow import Phase, PlanStatus, ReviewFacts
from subjects.models import AuditEvent
from tests.factories import SubjectFactory, WorkingGroupFactory

from .conftest import TIMETABLE, approve_plan

READY = ReviewFacts(
    phase=Phase.PREPARE,
    plan_status=PlanStatus.APPROVED,
    has_plan_document=True,
    timetable_complete=True,
    subject_count=12,
    subjects_without_group=0,
    groups_without_leader=0,
    dimension_count=6,
    leadership_has_leader=True,
)


def test_ready_review_has_no_blockers():
    assert workflow.blockers(READY) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"has_plan_document": False}, "尚未上传实施方案"),
        ({"plan_status": PlanStatus.DRAFT}, "实施方案尚未经领导小组批准"),
        ({"plan_status": PlanStatus.SUBMITTED}, "实施方案尚未经领导小组批准"),
        ({"plan_status": PlanStatus.RETURNED}, "实施方案尚未经领导小组批准"),
        ({"leadership_has_leader": False}, "领导小组尚未确定组长"),
        ({"timetable_complete": False}, "时间安排不完整（每个阶段都需要起止日期）"),
        ({"subject_count": 0}, "尚未确定评议对象"),
        ({"subjects_without_group": 3}, "有 3 个评议对象尚未分配评议工作组"),
        ({"groups_without_leader": 2}, "有 2 个评议工作组尚未确定组长"),
        ({"dimension_count": 0}, "尚未设置评议内容"),
    ],
)
def test_each_missing_precondition_is_a_chinese_blocker(change, reason):
    assert workflow.blockers(replace(READY, **change)) == [reason]


def test_a_fresh_review_lists_every_blocker_in_order():
    fresh = ReviewFacts(
        phase=Phase.PREPARE,
        plan_status=PlanStatus.DRAFT,
        has_plan_document=False,
        timetable_complete=False,
        subject_count=0,
        subjects_without_group=0,
        groups_without_leader=1,
        dimension_count=6,
        leadership_has_leader=False,
    )
    assert workflow.blockers(fresh) == [
        "尚未上传实施方案",
        "实施方案尚未经领导小组批准",
        "领导小组尚未确定组长",
        "时间安排不完整（每个阶段都需要起止日期）",
        "尚未确定评议对象",
        "有 1 个评议工作组尚未确定组长",
    ]


@pytest.mark.parametrize("phase", [Phase.INVESTIGATE, Phase.MEETING])
def test_later_phases_have_no_setup_preconditions(phase):
    assert workflow.blockers(replace(READY, phase=phase, subject_count=0)) == []


def test_rectify_ends_only_with_every_case_closed_and_the_archive_stored():
    rectify = replace(READY, phase=Phase.RECTIFY, subject_count=0)
    assert workflow.blockers(replace(rectify, open_cases=2, has_archive=True)) == [
        "有 2 个整改事项尚未办结"
    ]
    assert workflow.blockers(rectify) == [
        "请在“归档”页面生成归档文件，归档文件生成后评议活动自动归档"
    ]
    assert workflow.blockers(replace(rectify, has_archive=True)) == []


def test_archived_review_cannot_move():
    assert workflow.blockers(replace(READY, phase=Phase.ARCHIVED)) == ["评议活动已归档"]
    assert workflow.next_phase(Phase.ARCHIVED) is None


def test_phases_follow_in_order():
    assert [workflow.next_phase(p) for p in workflow.ORDER] == [
        Phase.INVESTIGATE,
        Phase.MEETING,
        Phase.RECTIFY,
        Phase.ARCHIVED,
        None,
    ]
    assert [Phase(p).label for p in workflow.ORDER] == [
        "准备",
        "调查 / 初评",
        "评议会议",
        "整改",
        "归档",
    ]


def test_only_the_office_moves_a_review():
    from subjects.roles import Role

    assert all(movers == {Role.OFFICE} for movers in workflow.MOVERS.values())
    assert set(workflow.MOVERS) == set(workflow.NEXT)


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (Phase.PREPARE, True),
        (Phase.INVESTIGATE, True),
        (Phase.MEETING, False),
        (Phase.RECTIFY, False),
        (Phase.ARCHIVED, False),
    ],
)
def test_can_edit_setup(phase, expected):
    assert workflow.can_edit_setup(phase) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (PlanStatus.DRAFT, False),
        (PlanStatus.SUBMITTED, True),
        (PlanStatus.APPROVED, False),
        (PlanStatus.RETURNED, False),
    ],
)
def test_can_approve_plan(status, expected):
    assert workflow.can_approve_plan(status) is expected


@pytest.mark.parametrize(
    ("status", "has_document", "expected"),
    [
        (PlanStatus.DRAFT, True, True),
        (PlanStatus.RETURNED, True, True),
        (PlanStatus.DRAFT, False, False),
        (PlanStatus.SUBMITTED, True, False),
        (PlanStatus.APPROVED, True, False),
    ],
)
def test_can_submit_plan(status, has_document, expected):
    assert workflow.can_submit_plan(status, has_document) is expected


# --- advance_phase, the service ---------------------------------------------------------------


def _reasons(review, actor):
    with pytest.raises(ValidationError) as refused:
        services.advance_phase(actor=actor, review=review)
    return refused.value.messages


@pytest.mark.django_db
def test_advance_refuses_until_every_precondition_is_met(review, office_clerk, chair, pdf_bytes):
    reasons = _reasons(review, office_clerk)
    assert reasons == [
        "尚未上传实施方案",
        "实施方案尚未经领导小组批准",
        "领导小组尚未确定组长",
        "时间安排不完整（每个阶段都需要起止日期）",
        "尚未确定评议对象",
    ]

    approve_plan(review, office_clerk, chair, pdf_bytes)
    assert "实施方案尚未经领导小组批准" not in _reasons(review, office_clerk)

    services.save_leadership(
        actor=office_clerk, review=review, members=[(chair, LeadershipPosition.MEMBER, "")]
    )
    assert "领导小组尚未确定组长" in _reasons(review, office_clerk)
    services.save_leadership(
        actor=office_clerk, review=review, members=[(chair, LeadershipPosition.LEADER, "")]
    )
    assert "领导小组尚未确定组长" not in _reasons(review, office_clerk)

    services.update_review(
        actor=office_clerk, review=review, data={**TIMETABLE, "rectify_ends_on": None}
    )
    assert "时间安排不完整（每个阶段都需要起止日期）" in _reasons(review, office_clerk)
    services.update_review(actor=office_clerk, review=review, data=TIMETABLE)

    subject = SubjectFactory(review=review)
    assert _reasons(review, office_clerk) == ["有 1 个评议对象尚未分配评议工作组"]

    group = WorkingGroupFactory(review=review)
    services.update_subject(actor=office_clerk, subject=subject, form=subject.form, group=group)
    assert _reasons(review, office_clerk) == ["有 1 个评议工作组尚未确定组长"]

    services.save_group(
        actor=office_clerk, review=review, group=group, name=group.name, leader=chair, members=[]
    )
    assert review.phase == Phase.PREPARE
    moved = services.advance_phase(actor=office_clerk, review=review)
    assert moved.phase == Phase.INVESTIGATE
    review.refresh_from_db()
    assert review.phase == Phase.INVESTIGATE and review.rules_frozen_at is None
    event = AuditEvent.objects.filter(action="review.phase_changed").get()
    assert event.actor == office_clerk
    assert event.data == {"from": "prepare", "to": "investigate"}
    assert "调查 / 初评" in event.summary


@pytest.mark.django_db
def test_entering_the_meeting_freezes_the_rules(ready_review, office_clerk):
    services.update_rules(actor=office_clerk, review=ready_review, data={"min_group_size": 5})
    services.advance_phase(actor=office_clerk, review=ready_review)
    review = services.advance_phase(actor=office_clerk, review=ready_review)
    assert review.phase == Phase.MEETING
    assert review.rules_frozen_at is not None
    assert AuditEvent.objects.filter(action="review.rules_frozen").count() == 1
    with pytest.raises(ValidationError) as refused:
        services.update_rules(actor=office_clerk, review=review, data={"min_group_size": 7})
    assert refused.value.messages == ["评议会议已开始，规则已锁定，不能再修改。"]
    review.rules.refresh_from_db()
    assert review.rules.min_group_size == 5
    # Setup is closed too.
    with pytest.raises(ValidationError):
        services.save_dimensions(actor=office_clerk, review=review, items=[("廉洁自律", "")])


@pytest.mark.django_db
def test_advance_through_to_archived_then_stop(ready_review, office_clerk):
    for expected in (Phase.INVESTIGATE, Phase.MEETING, Phase.RECTIFY):
        assert services.advance_phase(actor=office_clerk, review=ready_review).phase == expected
    with pytest.raises(ValidationError) as refused:  # not without the archive's zip
        services.advance_phase(actor=office_clerk, review=ready_review)
    assert "归档文件" in refused.value.messages[0]
    store_archive(ready_review, office_clerk)
    assert services.advance_phase(actor=office_clerk, review=ready_review).phase == Phase.ARCHIVED
    with pytest.raises(ValidationError) as refused:
        services.advance_phase(actor=office_clerk, review=ready_review)
    assert refused.value.messages == ["评议活动已归档。"]
    assert AuditEvent.objects.filter(action="review.phase_changed").count() == 4


@pytest.mark.django_db
def test_only_the_office_may_advance(ready_review, chair, group_member):
    for actor in (chair, group_member):
        with pytest.raises(PermissionDenied):
            services.advance_phase(actor=actor, review=ready_review)
    ready_review.refresh_from_db()
    assert ready_review.phase == Phase.PREPARE


def store_archive(review, actor):
    """What rectification.archive stores before it moves the review to 归档."""
    from rectification.models import ReviewArchive

    return ReviewArchive.objects.create(review=review, created_by=actor)
