"""One function per step of preparing and running a review. Each takes keyword arguments
and an explicit `actor`, runs in a transaction, locks the review row, checks the step is
allowed, saves, and writes an audit event (ARCHITECTURE.md)."""

from collections.abc import Iterable
from dataclasses import replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from subjects.audit import record, register_actions
from subjects.files import stored_name_for, validate_document
from subjects.models import Official, Unit, UserRole
from subjects.notifications import notify
from subjects.roles import Role, has_role

from . import workflow
from .models import (
    DEFAULT_DIMENSIONS,
    Dimension,
    LeadershipMember,
    Review,
    ReviewRules,
    Subject,
    SubjectForm,
    WorkingGroup,
)
from .selectors import review_facts
from .workflow import Phase, PlanStatus

register_actions(
    {
        "review.created": "创建评议活动",
        "review.updated": "修改评议活动",
        "review.plan_uploaded": "上传实施方案",
        "review.plan_submitted": "提交实施方案审批",
        "review.plan_approved": "批准实施方案",
        "review.plan_returned": "退回实施方案",
        "review.rules_updated": "修改评议规则",
        "review.rules_frozen": "锁定评议规则",
        "review.dimensions_updated": "修改评议内容",
        "review.leadership_updated": "调整领导小组",
        "review.group_saved": "保存评议工作组",
        "review.group_deleted": "删除评议工作组",
        "review.subjects_enrolled": "确定评议对象",
        "review.subject_updated": "调整评议对象",
        "review.subject_removed": "移出评议对象",
        "review.phase_changed": "推进评议阶段",
        "review.published": "发布公示",
        "review.withdrawn": "撤回公示",
    }
)

SETUP_CLOSED = "评议活动已进入{phase}阶段，不能再修改此项。"


def _lock(review: Review) -> Review:
    return Review.objects.select_for_update().get(pk=review.pk)


def _require_setup_open(review: Review) -> None:
    if not workflow.can_edit_setup(review.phase):
        raise ValidationError(SETUP_CLOSED.format(phase=review.get_phase_display()))


def _changes(instance, data: dict) -> dict:
    """{field: [old, new]} for the fields that differ; applies the new values."""
    changed = {}
    for field, value in data.items():
        old = getattr(instance, field)
        if old != value:
            changed[field] = [
                str(old) if old is not None else None,
                str(value) if value is not None else None,
            ]
            setattr(instance, field, value)
    return changed


@transaction.atomic
def create_review(*, actor, kind: str, year: int, title: str, term: str, **fields) -> Review:
    review = Review.objects.create(
        kind=kind, year=year, title=title, term=term, created_by=actor, **fields
    )
    ReviewRules.objects.create(review=review)
    Dimension.objects.bulk_create(
        Dimension(review=review, name=name, description=description, order=i)
        for i, (name, description) in enumerate(DEFAULT_DIMENSIONS)
    )
    record(
        actor=actor,
        action="review.created",
        target=review,
        summary=f"创建评议活动“{title}”",
        data={"kind": kind, "year": year},
    )
    return review


@transaction.atomic
def update_review(*, actor, review: Review, data: dict) -> Review:
    review = _lock(review)
    _require_setup_open(review)
    changed = _changes(review, data)
    if changed:
        review.save(update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action="review.updated",
            target=review,
            summary=f"修改评议活动“{review.title}”",
            data=changed,
        )
    return review


def upload_plan(*, actor, review: Review, uploaded) -> Review:
    # Checked outside the transaction: a refused upload is a security event (R22) whose
    # audit row must not be rolled back with the refusal.
    kind = validate_document(uploaded, actor=actor)
    return _store_plan(actor=actor, review=review, uploaded=uploaded, kind=kind)


@transaction.atomic
def _store_plan(*, actor, review: Review, uploaded, kind: str) -> Review:
    review = _lock(review)
    _require_setup_open(review)
    if review.plan_status == PlanStatus.SUBMITTED:
        raise ValidationError("实施方案正在审批中，审批结束前不能更换文件。")
    name = stored_name_for(kind, uploaded.name)
    previous = review.plan_status
    review.plan_document.save(name, uploaded, save=False)
    review.plan_document_name = name
    # A new document needs a new approval.
    review.plan_status = PlanStatus.DRAFT
    review.save(update_fields=["plan_document", "plan_document_name", "plan_status", "updated_at"])
    record(
        actor=actor,
        action="review.plan_uploaded",
        target=review,
        summary=f"上传实施方案《{name}》",
        data={"file": name, "previous_status": previous},
    )
    return review


@transaction.atomic
def submit_plan(*, actor, review: Review) -> Review:
    review = _lock(review)
    if not workflow.can_submit_plan(review.plan_status, bool(review.plan_document)):
        raise ValidationError("请先上传实施方案；已提交或已批准的方案不能重复提交。")
    review.plan_status = PlanStatus.SUBMITTED
    review.save(update_fields=["plan_status", "updated_at"])
    record(
        actor=actor,
        action="review.plan_submitted",
        target=review,
        summary=f"提交实施方案审批：{review.title}",
    )
    url = reverse("reviews:detail", args=[review.pk])
    for member in LeadershipMember.objects.filter(review=review).select_related("user"):
        if has_role(member.user, Role.COUNCIL):
            notify(
                recipient=member.user,
                title=f"请审批实施方案：{review.title}",
                body="评议办已提交实施方案，请审阅后批准或退回。",
                url=url,
            )
    return review


@transaction.atomic
def decide_plan(*, actor, review: Review, approve: bool, comment: str = "") -> Review:
    if not has_role(actor, Role.COUNCIL):
        raise PermissionDenied
    review = _lock(review)
    if not workflow.can_approve_plan(review.plan_status):
        raise ValidationError("只有待审批的实施方案可以批准或退回。")
    if not approve and not comment.strip():
        raise ValidationError("退回时请写明修改意见。")
    review.plan_status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
    review.plan_decided_at = timezone.now()
    review.plan_decided_by = actor
    review.plan_comment = comment.strip()
    review.save(
        update_fields=[
            "plan_status",
            "plan_decided_at",
            "plan_decided_by",
            "plan_comment",
            "updated_at",
        ]
    )
    verb = "批准" if approve else "退回"
    record(
        actor=actor,
        action="review.plan_approved" if approve else "review.plan_returned",
        target=review,
        summary=f"{verb}实施方案：{review.title}",
        data={"comment": review.plan_comment},
    )
    notify(
        recipient=review.created_by,
        title=f"实施方案已{verb}：{review.title}",
        body=review.plan_comment,
        url=reverse("reviews:detail", args=[review.pk]),
    )
    return review


@transaction.atomic
def update_rules(*, actor, review: Review, data: dict) -> ReviewRules:
    review = _lock(review)
    if review.rules_frozen_at:
        raise ValidationError("评议会议已开始，规则已锁定，不能再修改。")
    rules = ReviewRules.objects.select_for_update().get(review=review)
    changed = _changes(rules, data)
    if changed:
        rules.full_clean()
        rules.save(update_fields=list(changed))
        record(
            actor=actor,
            action="review.rules_updated",
            target=review,
            summary=f"修改评议规则：{review.title}",
            data=changed,
        )
    return rules


@transaction.atomic
def save_dimensions(*, actor, review: Review, items: list[tuple[str, str]]) -> None:
    """Replace the review's 评议内容 with `items` [(name, description)] in order."""
    review = _lock(review)
    _require_setup_open(review)
    if review.rules_frozen_at:
        raise ValidationError("评议会议已开始，评议内容已锁定。")
    cleaned = [(n.strip(), d.strip()) for n, d in items if n.strip()]
    if not cleaned:
        raise ValidationError("至少需要一项评议内容。")
    names = [n for n, _ in cleaned]
    if len(set(names)) != len(names):
        raise ValidationError("评议内容不能重复。")
    before = list(review.dimensions.values_list("name", flat=True))
    review.dimensions.all().delete()
    Dimension.objects.bulk_create(
        Dimension(review=review, name=n, description=d, order=i) for i, (n, d) in enumerate(cleaned)
    )
    record(
        actor=actor,
        action="review.dimensions_updated",
        target=review,
        summary=f"修改评议内容：{review.title}",
        data={"before": before, "after": names},
    )


@transaction.atomic
def save_leadership(*, actor, review: Review, members: list[tuple]) -> None:
    """Replace the 领导小组 with `members` [(user, position, title)] in order."""
    review = _lock(review)
    _require_setup_open(review)
    users = [m[0].pk for m in members]
    if len(set(users)) != len(users):
        raise ValidationError("同一人不能在领导小组中出现两次。")
    before = [
        f"{m.get_position_display()}:{m.user}"
        for m in LeadershipMember.objects.filter(review=review).select_related("user")
    ]
    LeadershipMember.objects.filter(review=review).delete()
    LeadershipMember.objects.bulk_create(
        LeadershipMember(review=review, user=user, position=position, title=title, order=i)
        for i, (user, position, title) in enumerate(members)
    )
    after = [f"{LeadershipMember(position=p).get_position_display()}:{u}" for u, p, _ in members]
    record(
        actor=actor,
        action="review.leadership_updated",
        target=review,
        summary=f"调整领导小组：{review.title}",
        data={"before": before, "after": after},
    )


@transaction.atomic
def save_group(
    *,
    actor,
    review: Review,
    group: WorkingGroup | None = None,
    name: str,
    leader,
    members: Iterable,
) -> WorkingGroup:
    review = _lock(review)
    _require_setup_open(review)
    if (
        WorkingGroup.objects.filter(review=review, name=name)
        .exclude(pk=group.pk if group else None)
        .exists()
    ):
        raise ValidationError("本次评议已有同名的评议工作组。")
    if group is None:
        group = WorkingGroup.objects.create(
            review=review, name=name, leader=leader, order=review.groups.count()
        )
    else:
        group.name, group.leader = name, leader
        group.save(update_fields=["name", "leader"])
    member_list = list(members)
    group.members.set(member_list)
    # Leading or sitting in a group is the working-group role's reason to exist: whoever the
    # office puts in a group can open its pages without a separate grant.
    granted = _grant_group_role([p for p in [leader, *member_list] if p is not None])
    record(
        actor=actor,
        action="review.group_saved",
        target=group,
        summary=f"保存评议工作组“{name}”（{review.title}）",
        data={
            "leader": str(leader) if leader else None,
            "members": [str(m) for m in member_list],
            "role_granted": [str(p) for p in granted],
        },
    )
    return group


def _grant_group_role(people) -> list:
    """Give the working-group role to those who lack it; return them."""
    granted = []
    for person in people:
        _, created = UserRole.objects.get_or_create(user=person, role=Role.GROUP_MEMBER)
        if created:
            person.__dict__.pop("role_set", None)
            granted.append(person)
    return granted


@transaction.atomic
def delete_group(*, actor, group: WorkingGroup) -> None:
    review = _lock(group.review)
    _require_setup_open(review)
    name = group.name
    count = group.subjects.count()
    group.delete()  # its subjects fall back to "no group" (SET_NULL)
    record(
        actor=actor,
        action="review.group_deleted",
        target=review,
        summary=f"删除评议工作组“{name}”，{count} 个评议对象待重新分组",
    )


def _notify_enrolment(subject: Subject) -> None:
    review = subject.review
    recipients = []
    if subject.official_id and subject.official.user_id:
        recipients.append(subject.official.user)
    if subject.unit_id:
        recipients.extend(subject.unit.contacts.all())
    for user in recipients:
        notify(
            recipient=user,
            title=f"您已被确定为{review.get_kind_display()}对象：{review.title}",
            body=f"述职形式：{subject.get_form_display()}。请登录系统查看评议安排和需要提交的材料。",
            url=reverse("reviews:official_subject", args=[subject.pk]),
        )


def _enrol(
    *,
    actor,
    review: Review,
    field: str,
    targets: list,
    form: str,
    group: WorkingGroup | None,
    snapshot,
    noun: str,
) -> list[Subject]:
    """Enrol roster rows (officials or units) not yet in the review, in the given order."""
    review = _lock(review)
    _require_setup_open(review)
    if group is not None and group.review_id != review.pk:
        raise ValidationError("所选评议工作组不属于本次评议。")
    taken = set(
        Subject.objects.filter(review=review, **{f"{field}__in": targets}).values_list(
            f"{field}_id", flat=True
        )
    )
    start = Subject.objects.filter(review=review).count()
    created = [
        Subject.objects.create(
            review=review,
            form=form,
            group=group,
            order=start + i,
            **{field: target},
            **snapshot(target),
        )
        for i, target in enumerate(t for t in targets if t.pk not in taken)
    ]
    for subject in created:
        _notify_enrolment(subject)
    if created:
        record(
            actor=actor,
            action="review.subjects_enrolled",
            target=review,
            summary=f"确定 {len(created)} {noun}：{review.title}",
            data={"subjects": [s.display_name for s in created], "form": form},
        )
    return created


@transaction.atomic
def enrol_officials(
    *,
    actor,
    review: Review,
    officials: Iterable[Official],
    form: str = SubjectForm.WRITTEN,
    group: WorkingGroup | None = None,
) -> list[Subject]:
    return _enrol(
        actor=actor,
        review=review,
        field="official",
        targets=list(officials),
        form=form,
        group=group,
        noun="名评议对象",
        snapshot=lambda o: {"display_name": o.name, "unit_name": o.unit.name, "post": o.post},
    )


@transaction.atomic
def enrol_units(
    *,
    actor,
    review: Review,
    units: Iterable[Unit],
    form: str = SubjectForm.ONSITE,
    group: WorkingGroup | None = None,
) -> list[Subject]:
    return _enrol(
        actor=actor,
        review=review,
        field="unit",
        targets=list(units),
        form=form,
        group=group,
        noun="个评议单位",
        snapshot=lambda u: {"display_name": u.name, "unit_name": u.name, "post": ""},
    )


@transaction.atomic
def update_subject(*, actor, subject: Subject, form: str, group: WorkingGroup | None) -> Subject:
    review = _lock(subject.review)
    _require_setup_open(review)
    if group is not None and group.review_id != review.pk:
        raise ValidationError("所选评议工作组不属于本次评议。")
    changed = _changes(subject, {"form": form, "group": group})
    if changed:
        subject.save(update_fields=list(changed))
        record(
            actor=actor,
            action="review.subject_updated",
            target=subject,
            summary=f"调整评议对象“{subject.display_name}”",
            data=changed,
        )
    return subject


@transaction.atomic
def remove_subject(*, actor, subject: Subject) -> None:
    review = _lock(subject.review)
    if review.phase != Phase.PREPARE:
        raise ValidationError("只有在准备阶段才能移出评议对象。")
    name = subject.display_name
    subject.delete()
    record(
        actor=actor,
        action="review.subject_removed",
        target=review,
        summary=f"移出评议对象“{name}”（{review.title}）",
    )


@transaction.atomic
def advance_phase(*, actor, review: Review) -> Review:
    review = _lock(review)
    target = workflow.next_phase(review.phase)
    if target is None:
        raise ValidationError("评议活动已归档。")
    if not has_role(actor, *workflow.MOVERS[review.phase]):
        raise PermissionDenied
    facts = review_facts(review)
    if review.phase == Phase.RECTIFY:
        # Counted here, not in reviews.selectors: reviews does not import rectification.
        facts = replace(
            facts,
            open_cases=review.rectification_cases.filter(status="open").count(),
            has_archive=type(review).objects.filter(pk=review.pk, archive__isnull=False).exists(),
        )
    reasons = workflow.blockers(facts)
    if reasons:
        raise ValidationError(reasons)
    source = review.phase
    review.phase = target
    fields = ["phase", "updated_at"]
    if target == Phase.MEETING and review.rules_frozen_at is None:
        # The meeting's results must stay reproducible under the rules they were cast under.
        review.rules_frozen_at = timezone.now()
        fields.append("rules_frozen_at")
    review.save(update_fields=fields)
    record(
        actor=actor,
        action="review.phase_changed",
        target=review,
        summary=f"“{review.title}”进入{review.get_phase_display()}阶段",
        data={"from": source, "to": target},
    )
    if "rules_frozen_at" in fields:
        record(
            actor=actor,
            action="review.rules_frozen",
            target=review,
            summary=f"评议规则已锁定：{review.title}",
        )
    return review


@transaction.atomic
def publish_announcement(*, actor, review: Review) -> Review:
    review = _lock(review)
    if review.plan_status != PlanStatus.APPROVED:
        raise ValidationError("实施方案经领导小组批准后才能公示。")
    if not review.subjects.exists():
        raise ValidationError("确定评议对象后才能公示。")
    if not review.timetable_complete:
        raise ValidationError("请先填写完整的时间安排再公示。")
    review.published_at = timezone.now()
    review.save(update_fields=["published_at", "updated_at"])
    record(
        actor=actor, action="review.published", target=review, summary=f"发布公示：{review.title}"
    )
    return review


@transaction.atomic
def withdraw_announcement(*, actor, review: Review) -> Review:
    review = _lock(review)
    if review.published_at is None:
        raise ValidationError("该评议活动尚未公示。")
    review.published_at = None
    review.save(update_fields=["published_at", "updated_at"])
    record(
        actor=actor, action="review.withdrawn", target=review, summary=f"撤回公示：{review.title}"
    )
    return review
