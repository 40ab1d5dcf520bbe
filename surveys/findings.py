"""The 问题清单: findings per subject, with stable ids.

A finding's number is allocated once per review (max + 1 under a lock on the review row) and
never reused: findings are never deleted, only withdrawn, so that opinion clauses and
rectification items can cite 问题-2025-007 for ever. Every change is audited.
"""

from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from reviews.models import Review, Subject
from subjects.audit import record, register_actions

from .investigation import lock_review, require_open
from .models import Activity, Finding, FindingStatus
from .selectors_investigation import can_write_group

register_actions(
    {
        "finding.created": "新增问题清单条目",
        "finding.updated": "修改问题清单条目",
        "finding.withdrawn": "撤销问题清单条目",
        "finding.restored": "恢复问题清单条目",
    }
)

FINDING_FIELDS = (
    "category",
    "description",
    "source",
    "activity",
    "questionnaire",
    "source_note",
    "severity",
)


def _require_writer(actor, subject: Subject) -> None:
    if subject.group_id is None or not can_write_group(actor, subject.review_id, subject.group_id):
        raise PermissionDenied


def _check_links(subject: Subject, activity: Activity | None, questionnaire) -> None:
    if activity is not None and (
        activity.review_id != subject.review_id or activity.group_id != subject.group_id
    ):
        raise ValidationError({"activity": "只能选择本组在本次评议中记录的调查活动。"})
    if questionnaire is not None and questionnaire.review_id != subject.review_id:
        raise ValidationError({"questionnaire": "只能选择本次评议活动的问卷。"})


def _clean(data: dict) -> dict:
    values = {field: data.get(field) for field in FINDING_FIELDS}
    values["description"] = (values["description"] or "").strip()
    values["source_note"] = (values["source_note"] or "").strip()
    if not values["description"]:
        raise ValidationError({"description": "请填写问题描述。"})
    return values


@transaction.atomic
def create_finding(*, actor, subject: Subject, **data) -> Finding:
    review = lock_review(subject.review_id)
    require_open(review)
    subject = Subject.objects.select_related("group").get(pk=subject.pk)
    _require_writer(actor, subject)
    values = _clean(data)
    _check_links(subject, values["activity"], values["questionnaire"])
    # Withdrawn findings count: their numbers are never handed out again.
    last = Finding.objects.filter(review=review).aggregate(n=Max("number"))["n"] or 0
    finding = Finding.objects.create(
        review=review, subject=subject, number=last + 1, created_by=actor, **values
    )
    record(
        actor=actor,
        action="finding.created",
        target=finding,
        summary=f"新增问题 {finding.code}（{subject}，{finding.get_category_display()}）",
        data={"number": finding.number, "subject": subject.pk},
    )
    return finding


def _lock_finding(finding: Finding) -> Finding:
    lock_review(finding.review_id)
    return (
        Finding.objects.select_for_update(of=("self",))
        .select_related("review", "subject", "subject__group")
        .get(pk=finding.pk)
    )


def _display(value) -> str | None:
    if value is None:
        return None
    return str(value)


@transaction.atomic
def update_finding(*, actor, finding: Finding, **data) -> Finding:
    finding = _lock_finding(finding)
    require_open(finding.review)
    _require_writer(actor, finding.subject)
    if finding.status == FindingStatus.WITHDRAWN:
        raise ValidationError("该问题已撤销，不能修改；如需修改请先恢复。")
    values = _clean(data)
    _check_links(finding.subject, values["activity"], values["questionnaire"])
    changed = {}
    for field, value in values.items():
        old = getattr(finding, field)
        if old != value:
            changed[field] = [_display(old), _display(value)]
            setattr(finding, field, value)
    if not changed:
        return finding
    finding.save()
    record(
        actor=actor,
        action="finding.updated",
        target=finding,
        summary=f"修改问题 {finding.code}",
        data=changed,
    )
    return finding


@transaction.atomic
def withdraw_finding(*, actor, finding: Finding, reason: str = "") -> Finding:
    finding = _lock_finding(finding)
    require_open(finding.review)
    _require_writer(actor, finding.subject)
    if finding.status == FindingStatus.WITHDRAWN:
        raise ValidationError(f"问题 {finding.code} 已经撤销。")
    finding.status = FindingStatus.WITHDRAWN
    finding.save(update_fields=["status", "updated_at"])
    reason = reason.strip()
    record(
        actor=actor,
        action="finding.withdrawn",
        target=finding,
        summary=f"撤销问题 {finding.code}" + (f"：{reason[:100]}" if reason else ""),
        data={"reason": reason[:500]},
    )
    return finding


@transaction.atomic
def restore_finding(*, actor, finding: Finding) -> Finding:
    finding = _lock_finding(finding)
    require_open(finding.review)
    _require_writer(actor, finding.subject)
    if finding.status != FindingStatus.WITHDRAWN:
        raise ValidationError(f"问题 {finding.code} 未撤销，无需恢复。")
    finding.status = FindingStatus.ACTIVE
    finding.save(update_fields=["status", "updated_at"])
    record(
        actor=actor, action="finding.restored", target=finding, summary=f"恢复问题 {finding.code}"
    )
    return finding


# --- Excel export of the 问题清单 ----------------------------------------------------------------

EXPORT_COLUMNS = (
    ("编号", 14),
    ("评议对象", 12),
    ("单位及职务", 28),
    ("评议工作组", 16),
    ("问题类别", 14),
    ("问题描述", 60),
    ("问题来源", 12),
    ("来源说明", 30),
    ("严重程度", 10),
    ("状态", 10),
    ("记录时间", 18),
)


def findings_workbook(review: Review, findings) -> bytes:
    """The 问题清单 as an .xlsx (write-only, one query over `findings`)."""
    from django.utils import timezone
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("问题清单")
    for index, (_title, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    title = WriteOnlyCell(sheet, value=f"{review.title} 问题清单")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    header = []
    for name, _width in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for finding in findings:
        subject = finding.subject
        source = finding.get_source_display()
        if finding.activity_id:
            source_note = f"{finding.activity}；{finding.source_note}".rstrip("；")
        elif finding.questionnaire_id:
            source_note = f"{finding.questionnaire}；{finding.source_note}".rstrip("；")
        else:
            source_note = finding.source_note
        description = WriteOnlyCell(sheet, value=finding.description)
        description.alignment = wrap
        sheet.append(
            [
                finding.code,
                subject.display_name,
                f"{subject.unit_name} {subject.post}".strip(),
                subject.group.name if subject.group_id else "",
                finding.get_category_display(),
                description,
                source,
                source_note,
                finding.get_severity_display(),
                finding.get_status_display(),
                timezone.localtime(finding.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
