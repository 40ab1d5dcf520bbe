"""Services of the 述职报告: the office's deadline, the official's uploads (versions), the
office's decision, and the distribution to the standing committee's members (R14, R15).

The 监督法 rhythm: reports go to the members some days before the meeting, so the office is
offered deadlines of 20, 10 or 7 days before the review's first meeting.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from reviews.models import Review, Subject
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from subjects.files import stored_name_for, validate_document
from subjects.notifications import notify

from .models import DutyReport, DutyReportSettings, DutyReportStatus, DutyReportVersion

register_actions(
    {
        "duty.deadline_set": "设定述职报告截止时间",
        "duty.uploaded": "上传述职报告",
        "duty.accepted": "接收述职报告",
        "duty.returned": "退回述职报告",
        "duty.distributed": "印发述职报告",
    }
)

PRESET_DAYS = (20, 10, 7)
# A preset deadline falls at the end of the office's working day.
PRESET_TIME = time(18, 0)
UPLOAD_PHASES = (Phase.INVESTIGATE, Phase.MEETING)
DEADLINE_PHASES = (Phase.PREPARE, Phase.INVESTIGATE, Phase.MEETING)


# --- reading helpers ---------------------------------------------------------------------------


def settings_for(review: Review) -> DutyReportSettings:
    """The review's settings row, or an unsaved blank one (no deadline, not distributed)."""
    found = DutyReportSettings.objects.filter(review=review).first()
    return found or DutyReportSettings(review=review)


@dataclass(frozen=True)
class MeetingDate:
    day: date | None
    source: str  # 中文: where the date comes from, or why there is none


def meeting_date_of(review: Review) -> MeetingDate:
    """The day of the review's first meeting, else the planned start of the meeting phase."""
    first = review.meetings.order_by("starts_at").values_list("starts_at", flat=True).first()
    if first is not None:
        return MeetingDate(timezone.localdate(first), "首次评议会议日期")
    if review.meeting_starts_on:
        return MeetingDate(review.meeting_starts_on, "时间安排中“评议会议阶段开始”日期")
    return MeetingDate(
        None, "尚未创建评议会议，时间安排中也没有“评议会议阶段开始”日期，无法按会议日期推算。"
    )


def preset_deadlines(review: Review) -> tuple[MeetingDate, list[dict]]:
    meeting = meeting_date_of(review)
    presets = []
    if meeting.day:
        now = timezone.now()
        for days in PRESET_DAYS:
            due_at = timezone.make_aware(
                datetime.combine(meeting.day - timedelta(days=days), PRESET_TIME)
            )
            presets.append({"days": days, "due_at": due_at, "past": due_at <= now})
    return meeting, presets


def preset_due_at(review: Review, days: int) -> datetime:
    if days not in PRESET_DAYS:
        raise ValidationError("请选择会议前 20 天、10 天或 7 天。")
    meeting = meeting_date_of(review)
    if meeting.day is None:
        raise ValidationError(meeting.source)
    return timezone.make_aware(datetime.combine(meeting.day - timedelta(days=days), PRESET_TIME))


def recipients_of(subject: Subject) -> list:
    """Who speaks for a subject: the official's account, or the unit's contacts."""
    if subject.official_id:
        user = subject.official.user if subject.official else None
        return [user] if user is not None and user.is_active else []
    return [u for u in subject.unit.contacts.all() if u.is_active]


def _panel_url(subject: Subject) -> str:
    return reverse("reviews:official_subject", args=[subject.pk])


def format_due(due_at) -> str:
    local = timezone.localtime(due_at)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


# --- the office: deadline ----------------------------------------------------------------------


@transaction.atomic
def set_deadline(*, actor, review: Review, due_at: datetime) -> DutyReportSettings:
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.phase not in DEADLINE_PHASES:
        raise ValidationError(
            f"评议活动已处于“{review.get_phase_display()}”阶段，不能再设定述职报告截止时间。"
        )
    if due_at <= timezone.now():
        raise ValidationError({"due_at": "截止时间必须晚于现在。"})
    settings, _ = DutyReportSettings.objects.select_for_update().get_or_create(review=review)
    if settings.distributed_at:
        raise ValidationError("述职报告已印发常委会组成人员，不能再修改截止时间。")
    previous = settings.due_at
    if previous == due_at:
        return settings
    settings.due_at = due_at
    settings.save(update_fields=["due_at"])
    changed = previous is not None
    record(
        actor=actor,
        action="duty.deadline_set",
        target=review,
        summary=(
            f"述职报告截止时间由 {format_due(previous)} 改为 {format_due(due_at)}（{review.title}）"
            if changed
            else f"设定述职报告截止时间为 {format_due(due_at)}（{review.title}）"
        ),
        data={
            "previous": previous.isoformat() if previous else None,
            "due_at": due_at.isoformat(),
        },
    )
    title = "述职报告提交截止时间已调整" if changed else "请提交述职报告"
    subjects = Subject.objects.filter(review=review).select_related("official__user", "unit")
    subjects = subjects.prefetch_related("unit__contacts")
    for subject in subjects:
        for user in recipients_of(subject):
            notify(
                recipient=user,
                title=title,
                body=(
                    f"{review.title}：请于 {format_due(due_at)} 前在系统中上传"
                    f"{subject.display_name}的述职报告（PDF 或 Word 文档）。"
                ),
                url=_panel_url(subject),
            )
    return settings


# --- the official: uploads ---------------------------------------------------------------------


def upload_refusal(review: Review, settings: DutyReportSettings, now=None) -> str:
    """Why an upload is not possible now, or "" when it is."""
    now = now or timezone.now()
    if review.phase not in UPLOAD_PHASES:
        return "述职报告在“调查 / 初评”和“评议会议”阶段提交，当前不能上传。"
    if settings.distributed_at:
        return "评议办已将述职报告印发常委会组成人员，如需修改请联系评议办。"
    if settings.due_at and now > settings.due_at:
        return f"已超过提交截止时间（{format_due(settings.due_at)}），如需修改请联系评议办。"
    return ""


def upload_version(*, actor, subject: Subject, uploaded) -> DutyReportVersion:
    """Check the file by its content, then store it as the next version.

    The content check runs outside the transaction so that its security event (R22) is kept
    when the upload is refused; the phase and deadline are checked again under the lock.
    """
    refusal = upload_refusal(subject.review, settings_for(subject.review))
    if refusal:
        raise ValidationError(refusal)
    kind = validate_document(uploaded, actor=actor)
    return _store_version(actor=actor, subject=subject, uploaded=uploaded, kind=kind)


@transaction.atomic
def _store_version(*, actor, subject: Subject, uploaded, kind: str) -> DutyReportVersion:
    # The subject row is the lock: two uploads at once get consecutive numbers.
    subject = (
        Subject.objects.select_for_update(of=("self",)).select_related("review").get(pk=subject.pk)
    )
    review = subject.review
    refusal = upload_refusal(review, settings_for(review))
    if refusal:
        raise ValidationError(refusal)
    report, _ = DutyReport.objects.get_or_create(subject=subject)
    number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DutyReportVersion(
        report=report,
        number=number,
        name=stored_name_for(kind, uploaded.name),
        size=uploaded.size,
        uploaded_by=actor,
    )
    # The storage name is random (private_upload_to); only the extension comes from the content.
    version.file.save(f"report.{kind}", uploaded, save=False)
    version.save()
    report.current = version
    report.status = DutyReportStatus.SUBMITTED
    report.decided_at = None
    report.decided_by = None
    report.comment = ""
    report.save(update_fields=["current", "status", "decided_at", "decided_by", "comment"])
    record(
        actor=actor,
        action="duty.uploaded",
        target=report,
        summary=f"上传{subject.display_name}的述职报告第 {number} 版：{version.name}",
        data={"version": number, "size": version.size},
    )
    return version


# --- the office: decisions ---------------------------------------------------------------------


def _locked_report(report: DutyReport) -> DutyReport:
    return (
        DutyReport.objects.select_for_update(of=("self",))
        .select_related("subject__review", "subject__official__user", "subject__unit")
        .get(pk=report.pk)
    )


@transaction.atomic
def accept_report(*, actor, report: DutyReport) -> DutyReport:
    report = _locked_report(report)
    if report.current_id is None:
        raise ValidationError("尚未上传述职报告，不能接收。")
    if report.status != DutyReportStatus.SUBMITTED:
        raise ValidationError(f"该报告当前状态为“{report.get_status_display()}”，不能接收。")
    report.status = DutyReportStatus.ACCEPTED
    report.decided_at = timezone.now()
    report.decided_by = actor
    report.comment = ""
    report.save(update_fields=["status", "decided_at", "decided_by", "comment"])
    subject = report.subject
    record(
        actor=actor,
        action="duty.accepted",
        target=report,
        summary=f"接收{subject.display_name}的述职报告（第 {report.current.number} 版）",
    )
    for user in recipients_of(subject):
        notify(
            recipient=user,
            title="评议办已接收您的述职报告",
            body=f"{subject.review.title}：{subject.display_name}的述职报告已被评议办接收。",
            url=_panel_url(subject),
        )
    return report


@transaction.atomic
def return_report(*, actor, report: DutyReport, comment: str) -> DutyReport:
    report = _locked_report(report)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "请填写退回意见，说明需要修改的地方。"})
    if report.current_id is None:
        raise ValidationError("尚未上传述职报告，不能退回。")
    if report.status == DutyReportStatus.RETURNED:
        raise ValidationError("该报告已退回，等待重新上传。")
    if settings_for(report.subject.review).distributed_at and (
        report.status == DutyReportStatus.ACCEPTED
    ):
        raise ValidationError("该报告已印发常委会组成人员，不能再退回。")
    report.status = DutyReportStatus.RETURNED
    report.decided_at = timezone.now()
    report.decided_by = actor
    report.comment = comment
    report.save(update_fields=["status", "decided_at", "decided_by", "comment"])
    subject = report.subject
    record(
        actor=actor,
        action="duty.returned",
        target=report,
        summary=f"退回{subject.display_name}的述职报告：{comment[:100]}",
        data={"comment": comment},
    )
    for user in recipients_of(subject):
        notify(
            recipient=user,
            title="述职报告被退回，请修改后重新上传",
            body=f"{subject.review.title}：评议办意见：{comment}",
            url=_panel_url(subject),
        )
    return report


# --- the office: distribution (R15) ------------------------------------------------------------


def distribution_counts(review: Review) -> dict:
    subjects = Subject.objects.filter(review=review)
    total = subjects.count()
    accepted = subjects.filter(duty_report__status=DutyReportStatus.ACCEPTED).count()
    return {"total": total, "accepted": accepted, "not_accepted": total - accepted}


@transaction.atomic
def distribute(*, actor, review: Review, confirm_incomplete: bool = False) -> DutyReportSettings:
    review = Review.objects.select_for_update().get(pk=review.pk)
    settings, _ = DutyReportSettings.objects.select_for_update().get_or_create(review=review)
    if settings.distributed_at:
        raise ValidationError(
            f"述职报告已于 {format_due(settings.distributed_at)} 印发常委会组成人员。"
        )
    counts = distribution_counts(review)
    if counts["accepted"] == 0:
        raise ValidationError("还没有已接收的述职报告，不能印发。")
    if counts["not_accepted"] and not confirm_incomplete:
        raise ValidationError(
            {
                "confirm": f"还有 {counts['not_accepted']} 份述职报告未接收"
                "（未提交、待审核或已退回），这些报告不会印发。"
                f"确认只印发已接收的 {counts['accepted']} 份，请勾选确认。"
            }
        )
    settings.distributed_at = timezone.now()
    settings.distributed_by = actor
    settings.save(update_fields=["distributed_at", "distributed_by"])
    record(
        actor=actor,
        action="duty.distributed",
        target=review,
        summary=(
            f"将 {counts['accepted']} 份述职报告印发常委会组成人员（{review.title}），"
            f"{counts['not_accepted']} 份未接收"
        ),
        data=counts,
    )
    return settings
