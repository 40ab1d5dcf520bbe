"""The working groups' investigation (Phase 2 调查/初评): activities with their attachments,
and the 调查报告 per subject with its path to the chairpersons' council (主任会议).

One function per step, keyword arguments and an explicit `actor`; each runs in a transaction,
locks the row it changes, checks the step is allowed and writes an audit event. Uploads are
checked by content (R14) before the transaction, so that a refusal's security event is kept.
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reviews.models import LeadershipMember, Review, Subject, WorkingGroup
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from subjects.files import stored_name_for, validate_document
from subjects.notifications import notify
from subjects.roles import Role, has_role

from .models import (
    Activity,
    ActivityAttachment,
    FindingCategory,
    InvestigationReport,
    InvestigationReportAttachment,
    ReportStatus,
)
from .selectors_investigation import active_findings_of, can_write_group

register_actions(
    {
        "investigation.activity_created": "记录调查活动",
        "investigation.activity_updated": "修改调查活动",
        "investigation.attachment_added": "上传调查材料",
        "investigation.attachment_removed": "删除调查材料",
        "investigation.report_saved": "保存调查报告",
        "investigation.report_submitted": "报送调查报告",
        "investigation.report_heard": "主任会议听取调查报告",
        "investigation.report_returned": "退回调查报告",
    }
)

OPEN_PHASES = (Phase.INVESTIGATE, Phase.MEETING)
NOT_STARTED = (
    "评议活动还在准备阶段，调查工作尚未开始，暂不能记录。请在进入“调查 / 初评”阶段后再操作。"
)
CLOSED = "评议活动已进入“{phase}”阶段，调查记录只能查看，不能再修改。"
MAX_ATTACHMENTS = 20


def is_open(review: Review) -> bool:
    return review.phase in OPEN_PHASES


def require_open(review: Review) -> None:
    if review.phase == Phase.PREPARE:
        raise ValidationError(NOT_STARTED)
    if review.phase not in OPEN_PHASES:
        raise ValidationError(CLOSED.format(phase=review.get_phase_display()))


def lock_review(review_id: int) -> Review:
    """The review row, locked: serialises changes to its records (e.g. finding numbers: each
    creator reads the maximum only after the previous one committed)."""
    return Review.objects.select_for_update().get(pk=review_id)


def check_documents(files: Iterable, *, actor, field: str = "attachments") -> list[tuple]:
    """Check every upload by content (R14); return [(upload, kind)] or refuse them all."""
    checked, errors = [], []
    for upload in files:
        try:
            checked.append((upload, validate_document(upload, actor=actor)))
        except ValidationError as error:
            errors.append(f"附件“{upload.name}”未能上传：{error.messages[0]}")
    if errors:
        raise ValidationError({field: errors})
    return checked


def _store(model, owner_field: str, owner, checked: list[tuple], actor) -> list:
    stored = []
    for upload, kind in checked:
        name = stored_name_for(kind, upload.name)
        attachment = model(**{owner_field: owner}, name=name, uploaded_by=actor)
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


# --- activities ------------------------------------------------------------------------------


def _check_activity(*, actor, review: Review, group: WorkingGroup, subjects: list[Subject]):
    if group.review_id != review.pk:
        raise ValidationError({"group": "所选评议工作组不属于本次评议活动。"})
    if not can_write_group(actor, review.pk, group.pk):
        raise PermissionDenied
    if not subjects:
        raise ValidationError({"subjects": "请至少选择一个涉及的评议对象。"})
    office = has_role(actor, Role.OFFICE)
    for subject in subjects:
        if subject.review_id != review.pk:
            raise ValidationError({"subjects": f"“{subject}”不是本次评议活动的评议对象。"})
        if not office and subject.group_id != group.pk:
            raise ValidationError(
                {"subjects": f"“{subject}”不是{group.name}负责的评议对象，不能记在本组名下。"}
            )


ACTIVITY_FIELDS = ("kind", "held_on", "place", "participants", "notes")


def create_activity(
    *,
    actor,
    review: Review,
    group: WorkingGroup,
    subjects: list[Subject],
    files: Iterable = (),
    **data,
) -> Activity:
    files = list(files)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"每次最多上传 {MAX_ATTACHMENTS} 个附件。"})
    checked = check_documents(files, actor=actor)
    return _create_activity(
        actor=actor, review=review, group=group, subjects=subjects, checked=checked, data=data
    )


@transaction.atomic
def _create_activity(*, actor, review, group, subjects, checked, data) -> Activity:
    review = lock_review(review.pk)
    require_open(review)
    _check_activity(actor=actor, review=review, group=group, subjects=subjects)
    if data.get("held_on") and data["held_on"] > timezone.localdate():
        raise ValidationError({"held_on": "活动日期不能晚于今天。"})
    activity = Activity.objects.create(
        review=review,
        group=group,
        created_by=actor,
        **{field: data.get(field, "") for field in ACTIVITY_FIELDS},
    )
    activity.subjects.set(subjects)
    _store(ActivityAttachment, "activity", activity, checked, actor)
    record(
        actor=actor,
        action="investigation.activity_created",
        target=activity,
        summary=f"{group.name}记录{activity.get_kind_display()}（{activity.held_on:%Y-%m-%d}）",
        data={
            "subjects": [s.pk for s in subjects],
            "attachments": [upload.name[:100] for upload, _ in checked],
        },
    )
    return activity


def update_activity(
    *,
    actor,
    activity: Activity,
    group: WorkingGroup,
    subjects: list[Subject],
    files: Iterable = (),
    **data,
) -> Activity:
    files = list(files)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"每次最多上传 {MAX_ATTACHMENTS} 个附件。"})
    checked = check_documents(files, actor=actor)
    return _update_activity(
        actor=actor, activity=activity, group=group, subjects=subjects, checked=checked, data=data
    )


@transaction.atomic
def _update_activity(*, actor, activity, group, subjects, checked, data) -> Activity:
    review = lock_review(activity.review_id)
    require_open(review)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if not can_write_group(actor, review.pk, activity.group_id):
        raise PermissionDenied
    _check_activity(actor=actor, review=review, group=group, subjects=subjects)
    if data.get("held_on") and data["held_on"] > timezone.localdate():
        raise ValidationError({"held_on": "活动日期不能晚于今天。"})
    changed = {}
    for field in ACTIVITY_FIELDS:
        value = data.get(field, "")
        old = getattr(activity, field)
        if old != value:
            changed[field] = [str(old), str(value)]
            setattr(activity, field, value)
    if activity.group_id != group.pk:
        changed["group"] = [str(activity.group), str(group)]
        activity.group = group
    old_subjects = set(activity.subjects.values_list("pk", flat=True))
    new_subjects = {s.pk for s in subjects}
    if old_subjects != new_subjects:
        changed["subjects"] = [sorted(old_subjects), sorted(new_subjects)]
        activity.subjects.set(subjects)
    activity.save()
    _store(ActivityAttachment, "activity", activity, checked, actor)
    if checked:
        changed["attachments_added"] = [upload.name[:100] for upload, _ in checked]
    record(
        actor=actor,
        action="investigation.activity_updated",
        target=activity,
        summary=f"修改调查活动：{activity}",
        data=changed,
    )
    return activity


@transaction.atomic
def remove_activity_attachment(*, actor, attachment: ActivityAttachment) -> None:
    activity = attachment.activity
    review = lock_review(activity.review_id)
    require_open(review)
    if not can_write_group(actor, review.pk, activity.group_id):
        raise PermissionDenied
    name = attachment.name
    # The row goes; the stored bytes stay (private, unreachable) so the audit can point
    # to what was removed if the office needs it back.
    attachment.delete()
    record(
        actor=actor,
        action="investigation.attachment_removed",
        target=activity,
        summary=f"删除调查活动附件《{name}》",
        data={"file": name},
    )


# --- 调查报告 ----------------------------------------------------------------------------------

REPORT_SECTIONS = ("overview", "achievements", "problems", "suggestions")
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
CONFLICT = (
    "该报告已被他人修改（{who}于 {when} 保存），请刷新后再编辑。"
    "您填写的内容仍保留在下方，可先复制保存。"
)


def report_is_editable(report: InvestigationReport | None) -> bool:
    return report is None or report.status in EDITABLE


def _lock_report(subject: Subject) -> tuple[Subject, InvestigationReport | None]:
    # The subject row is the lock: the first save creates the report under it, so two
    # first saves cannot both create one.
    subject = (
        Subject.objects.select_for_update(of=("self",)).select_related("group").get(pk=subject.pk)
    )
    report = InvestigationReport.objects.filter(subject=subject).select_related("updated_by")
    return subject, report.first()


def _require_report_writer(actor, subject: Subject) -> None:
    if subject.group_id is None or not can_write_group(actor, subject.review_id, subject.group_id):
        raise PermissionDenied


@transaction.atomic
def save_report(*, actor, subject: Subject, version: int, **sections) -> InvestigationReport:
    """Save the draft. `version` is what the editor loaded (0 before the first save); if
    somebody saved in between, refuse rather than overwrite their text."""
    review = lock_review(subject.review_id)
    require_open(review)
    subject, report = _lock_report(subject)
    _require_report_writer(actor, subject)
    current = report.version if report else 0
    if version != current:
        editor = report.updated_by if report else None
        who = (editor.full_name or editor.username) if editor else "他人"
        when = timezone.localtime(report.updated_at).strftime("%m-%d %H:%M") if report else "刚才"
        raise ValidationError(CONFLICT.format(who=who, when=when), code="conflict")
    if report is not None and report.status not in EDITABLE:
        raise ValidationError(
            f"调查报告{report.get_status_display()}，不能再修改。", code="not_editable"
        )
    if report is None:
        report = InvestigationReport(subject=subject, group=subject.group, version=0)
    changed = [f for f in REPORT_SECTIONS if getattr(report, f) != sections.get(f, "")]
    for field in REPORT_SECTIONS:
        setattr(report, field, sections.get(field, ""))
    report.group = subject.group
    report.version += 1
    report.updated_by = actor
    report.save()
    record(
        actor=actor,
        action="investigation.report_saved",
        target=report,
        summary=f"保存调查报告（第 {report.version} 稿）：{subject}",
        data={"changed": changed, "version": report.version},
    )
    return report


def add_report_attachments(*, actor, subject: Subject, files: Iterable) -> list:
    files = list(files)
    if not files:
        raise ValidationError({"files": "请选择要上传的文件。"})
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"files": f"每次最多上传 {MAX_ATTACHMENTS} 个附件。"})
    checked = check_documents(files, actor=actor, field="files")
    return _add_report_attachments(actor=actor, subject=subject, checked=checked)


@transaction.atomic
def _add_report_attachments(*, actor, subject, checked) -> list:
    review = lock_review(subject.review_id)
    require_open(review)
    subject, report = _lock_report(subject)
    _require_report_writer(actor, subject)
    if report is not None and report.status not in EDITABLE:
        raise ValidationError(f"调查报告{report.get_status_display()}，不能再添加附件。")
    if report is None:
        report = InvestigationReport.objects.create(
            subject=subject, group=subject.group, version=1, updated_by=actor
        )
    stored = _store(InvestigationReportAttachment, "report", report, checked, actor)
    record(
        actor=actor,
        action="investigation.attachment_added",
        target=report,
        summary=f"上传调查报告附件 {len(stored)} 个：{subject}",
        data={"files": [a.name for a in stored]},
    )
    return stored


@transaction.atomic
def remove_report_attachment(*, actor, attachment: InvestigationReportAttachment) -> None:
    report = attachment.report
    review = lock_review(report.subject.review_id)
    require_open(review)
    subject, report = _lock_report(report.subject)
    _require_report_writer(actor, subject)
    if report.status not in EDITABLE:
        raise ValidationError(f"调查报告{report.get_status_display()}，不能再删除附件。")
    name = attachment.name
    attachment.delete()
    record(
        actor=actor,
        action="investigation.attachment_removed",
        target=report,
        summary=f"删除调查报告附件《{name}》",
        data={"file": name},
    )


SECTION_LABELS = {
    "overview": "基本情况",
    "achievements": "主要成绩",
    "problems": "存在的主要问题",
    "suggestions": "意见和建议",
}


@transaction.atomic
def submit_report(*, actor, subject: Subject) -> InvestigationReport:
    review = lock_review(subject.review_id)
    require_open(review)
    subject, report = _lock_report(subject)
    _require_report_writer(actor, subject)
    if report is None:
        raise ValidationError("请先起草并保存调查报告，再报送主任会议。")
    if report.status not in EDITABLE:
        raise ValidationError(f"调查报告{report.get_status_display()}，不能重复报送。")
    missing = [SECTION_LABELS[f] for f in REPORT_SECTIONS if not getattr(report, f).strip()]
    if missing:
        raise ValidationError(f"请先填写“{'”“'.join(missing)}”并保存，再报送主任会议。")
    previous = report.status
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.version += 1
    report.updated_by = actor
    report.save()
    record(
        actor=actor,
        action="investigation.report_submitted",
        target=report,
        summary=f"{subject.group}报送调查报告：{subject}",
        data={"previous": previous},
    )
    url = reverse("surveys:report", args=[subject.pk])
    council = LeadershipMember.objects.filter(review_id=subject.review_id).select_related("user")
    for member in council:
        if has_role(member.user, Role.COUNCIL):
            notify(
                recipient=member.user,
                title=f"请听取调查报告：{subject}",
                body=f"{subject.group}已报送关于{subject}的调查报告。",
                url=url,
            )
    return report


def _council_step(actor, subject: Subject) -> tuple[Subject, InvestigationReport]:
    if not has_role(actor, Role.COUNCIL):
        raise PermissionDenied
    review = lock_review(subject.review_id)
    require_open(review)
    subject, report = _lock_report(subject)
    if report is None or report.status != ReportStatus.SUBMITTED:
        raise ValidationError("只有已报送、待听取的调查报告可以听取或退回。")
    return subject, report


@transaction.atomic
def hear_report(*, actor, subject: Subject, heard_on: date, session: str) -> InvestigationReport:
    subject, report = _council_step(actor, subject)
    session = session.strip()
    if not session:
        raise ValidationError({"session": "请填写听取报告的主任会议，如“第十五次主任会议”。"})
    if heard_on > timezone.localdate():
        raise ValidationError({"heard_on": "听取日期不能晚于今天。"})
    report.status = ReportStatus.HEARD
    report.heard_on = heard_on
    report.heard_session = session
    report.version += 1
    report.save()
    record(
        actor=actor,
        action="investigation.report_heard",
        target=report,
        summary=f"{session}听取关于{subject}的调查报告（{heard_on:%Y-%m-%d}）",
        data={"heard_on": heard_on.isoformat(), "session": session},
    )
    return report


@transaction.atomic
def return_report(*, actor, subject: Subject, comment: str) -> InvestigationReport:
    subject, report = _council_step(actor, subject)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "退回时请写明修改意见。"})
    report.status = ReportStatus.RETURNED
    report.return_comment = comment
    report.version += 1
    report.save()
    record(
        actor=actor,
        action="investigation.report_returned",
        target=report,
        summary=f"退回关于{subject}的调查报告",
        data={"comment": comment[:500]},
    )
    leader = subject.group.leader if subject.group_id else None
    if leader is not None:
        notify(
            recipient=leader,
            title=f"调查报告被退回修改：{subject}",
            body=f"主任会议的意见：{comment}",
            url=reverse("surveys:report", args=[subject.pk]),
        )
    return report


def problems_text(subject: Subject) -> str:
    """The subject's active findings grouped by category, numbered, with their codes: the
    text that "从问题清单填入" appends to 存在的主要问题."""
    findings = active_findings_of(subject)
    if not findings:
        return ""
    numerals = "一二三四五六七八九十"
    lines: list[str] = []
    index = 0
    for value, label in FindingCategory.choices:
        items = [f for f in findings if f.category == value]
        if not items:
            continue
        heading = numerals[index] if index < len(numerals) else str(index + 1)
        index += 1
        lines.append(f"{heading}、{label}方面")
        for number, finding in enumerate(items, start=1):
            text = " ".join(finding.description.split())
            lines.append(f"{number}. {text}（{finding.code}）")
    return "\n".join(lines)


def append_problems(existing: str, subject: Subject) -> tuple[str, int]:
    """`existing` with the findings' text appended; the number of findings appended."""
    addition = problems_text(subject)
    if not addition:
        return existing, 0
    count = sum(1 for line in addition.splitlines() if line[:1].isdigit())
    existing = existing.rstrip()
    return (f"{existing}\n\n{addition}" if existing else addition), count
