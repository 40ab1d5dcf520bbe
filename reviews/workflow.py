"""The phases of a review and the rules for moving between them. Pure Python: no database.

准备 → 调查/初评 → 评议会议 → 整改 → 归档. Each move is made by a service
(`reviews.services.advance_phase`) that gathers the facts below from the database, asks
`blockers()` what stands in the way, and refuses while anything does.
"""

from dataclasses import dataclass

from django.db import models

from subjects.roles import Role


class Phase(models.TextChoices):
    PREPARE = "prepare", "准备"
    INVESTIGATE = "investigate", "调查 / 初评"
    MEETING = "meeting", "评议会议"
    RECTIFY = "rectify", "整改"
    ARCHIVED = "archived", "归档"


ORDER = [Phase.PREPARE, Phase.INVESTIGATE, Phase.MEETING, Phase.RECTIFY, Phase.ARCHIVED]
NEXT = {ORDER[i]: ORDER[i + 1] for i in range(len(ORDER) - 1)}

# Who may move a review out of each phase: the office runs the process (DOMAIN.md).
MOVERS = {phase: frozenset({Role.OFFICE}) for phase in NEXT}


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "草拟中"
    SUBMITTED = "submitted", "待领导小组审批"
    APPROVED = "approved", "已批准"
    RETURNED = "returned", "已退回修改"


@dataclass(frozen=True)
class ReviewFacts:
    """What the preconditions look at, gathered in a few queries by the service."""

    phase: str
    plan_status: str
    has_plan_document: bool
    timetable_complete: bool
    subject_count: int
    subjects_without_group: int
    groups_without_leader: int
    dimension_count: int
    leadership_has_leader: bool
    # Rectification cases still open (整改 → 归档 waits for every case to close).
    open_cases: int = 0
    # 整改 → 归档 only through the archive, which stores the review's zip first.
    has_archive: bool = False


def next_phase(phase: str) -> str | None:
    return NEXT.get(phase)


def blockers(facts: ReviewFacts) -> list[str]:
    """Reasons, in Chinese, why the review cannot leave its current phase yet."""
    reasons: list[str] = []
    if facts.phase == Phase.PREPARE:
        if not facts.has_plan_document:
            reasons.append("尚未上传实施方案")
        if facts.plan_status != PlanStatus.APPROVED:
            reasons.append("实施方案尚未经领导小组批准")
        if not facts.leadership_has_leader:
            reasons.append("领导小组尚未确定组长")
        if not facts.timetable_complete:
            reasons.append("时间安排不完整（每个阶段都需要起止日期）")
        if facts.subject_count == 0:
            reasons.append("尚未确定评议对象")
        if facts.subjects_without_group:
            reasons.append(f"有 {facts.subjects_without_group} 个评议对象尚未分配评议工作组")
        if facts.groups_without_leader:
            reasons.append(f"有 {facts.groups_without_leader} 个评议工作组尚未确定组长")
        if facts.dimension_count == 0:
            reasons.append("尚未设置评议内容")
    elif facts.phase == Phase.RECTIFY:
        if facts.open_cases:
            reasons.append(f"有 {facts.open_cases} 个整改事项尚未办结")
        elif not facts.has_archive:
            reasons.append("请在“归档”页面生成归档文件，归档文件生成后评议活动自动归档")
    elif facts.phase == Phase.ARCHIVED:
        reasons.append("评议活动已归档")
    return reasons


def can_edit_setup(phase: str) -> bool:
    """Plan, subjects, groups and timetable are edited in 准备 (and corrected in 调查)."""
    return phase in (Phase.PREPARE, Phase.INVESTIGATE)


def can_approve_plan(plan_status: str) -> bool:
    return plan_status == PlanStatus.SUBMITTED


def can_submit_plan(plan_status: str, has_document: bool) -> bool:
    return has_document and plan_status in (PlanStatus.DRAFT, PlanStatus.RETURNED)
