"""The rectification case of a subject: its clock, plan, rounds, reports, vote and follow-ups.

    opinion received (签收 / 送达) ──► case opens: items from the opinion's clauses, round 1,
        obligations 整改方案 (plan period) and 整改报告 (report period), both moved off rest days
    official: save_plan → submit_plan ──► office: accept_plan | return_plan (→ revise, resubmit)
    official: save_report → submit_report ──► office: accept_report | return_report
    office: start_vote(meeting) ──► the chair runs the secret poll (reviews.meetings) ──►
        publish: settle() — 不满意 > half of all composition members ⇒ round DISSATISFIED,
        else SATISFIED and the case closes
    council: order_continue(round) ──► round n+1 with a new report deadline and a
        继续整改通知 draft; the loop repeats until a vote is satisfied

Every step is one service that locks the case, checks the state, records an audit event and
notifies whoever acts next. A due date moves only by `move_deadline`, an audited decision.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from reviews.meetings import poll_published
from reviews.models import Poll, PollPurpose, Subject
from reviews.workflow import Phase
from subjects.audit import ARCHIVED_MESSAGE, record, register_actions
from subjects.models import User
from subjects.notifications import notify
from subjects.roles import Role, has_role
from surveys.duty_reports import recipients_of

from . import deadlines
from .models import (
    CaseStatus,
    Document,
    DocumentKind,
    Evidence,
    FollowUp,
    FollowUpKind,
    ItemProgress,
    ItemStatus,
    Obligation,
    ObligationKind,
    Opinion,
    RectificationCase,
    RectificationItem,
    RectificationPlan,
    RectificationReport,
    RectificationRound,
    ReviewStatus,
    RoundOutcome,
)
from .wording import date_cn

register_actions(
    {
        "case.opened": "整改时限开始计算",
        "case.received_on_corrected": "更正意见送达日期",
        "deadline.moved": "调整整改时限",
        "plan.saved": "保存整改方案",
        "plan.submitted": "提交整改方案",
        "plan.accepted": "通过整改方案",
        "plan.returned": "退回整改方案",
        "report.saved": "保存整改报告",
        "report.submitted": "提交整改报告",
        "report.accepted": "通过整改报告",
        "report.returned": "退回整改报告",
        "evidence.added": "上传佐证材料",
        "evidence.removed": "删除佐证材料",
        "rectification_vote.started": "发起整改满意度测评",
        "round.settled": "整改满意度测评结果",
        "round.continued": "决定继续整改",
        "case.closed": "整改办结",
        "follow_up.recorded": "记录跟踪监督",
    }
)


# --- who speaks for a case -----------------------------------------------------------------


def contacts_of(subject: Subject) -> list[User]:
    """Who fills the plan and report and whom reminders reach: the official's account, or the
    unit's contacts (联络员) — the same people as for the 述职报告."""
    return recipients_of(subject)


def speaks_for(user, case: RectificationCase) -> bool:
    return any(u.pk == user.pk for u in contacts_of(case.subject))


def _office() -> list[User]:
    return list(User.objects.filter(role_grants__role=Role.OFFICE, is_active=True).distinct())


def case_url(case: RectificationCase, *, office: bool) -> str:
    name = "rectification:case" if office else "rectification:official_case"
    return reverse(name, args=[case.pk])


def _tell_official(case: RectificationCase, title: str, body: str = "") -> None:
    for user in contacts_of(case.subject):
        notify(recipient=user, title=title, body=body, url=case_url(case, office=False))


def _tell_office(case: RectificationCase, title: str, body: str = "") -> None:
    for user in _office():
        notify(recipient=user, title=title, body=body, url=case_url(case, office=True))


def get_case_for_user(user, pk, *, for_update: bool = False) -> RectificationCase:
    """The office and the council see every case; an official (or unit contact) only the
    case of their own subject. Anything else is a 404, like a case that does not exist (R10)."""
    cases = RectificationCase.objects.select_related(
        "review__rules", "subject__official__user", "subject__unit", "opinion", "document"
    )
    if has_role(user, Role.OFFICE, Role.COUNCIL):
        pass
    elif has_role(user, Role.OFFICIAL):
        cases = cases.filter(
            Q(subject__official__user=user) | Q(subject__unit__contacts=user)
        ).distinct()
    else:
        raise Http404
    case = cases.filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


# --- locking and state ---------------------------------------------------------------------


def _lock(case: RectificationCase) -> RectificationCase:
    case = (
        RectificationCase.objects.select_for_update(of=("self",))
        .select_related("review__rules", "subject__official__user", "subject__unit")
        .get(pk=case.pk)
    )
    # subjects.audit.record would refuse the decision anyway; saying so first names the reason
    # rather than whatever check of the case comes before the record.
    if case.review.phase == Phase.ARCHIVED:
        raise ValidationError(ARCHIVED_MESSAGE)
    return case


def _require_open(case: RectificationCase) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("该整改事项已办结。")


def current_round(case: RectificationCase) -> RectificationRound:
    return case.rounds.order_by("-number").first()


def obligation_of(round_: RectificationRound, kind: str) -> Obligation | None:
    return Obligation.objects.filter(round=round_, kind=kind).first()


def _periods(case: RectificationCase) -> tuple[int, int]:
    rules = getattr(case.review, "rules", None)
    return (rules.plan_due_months if rules else 1, rules.report_due_months if rules else 3)


def _open_report(round_: RectificationRound) -> RectificationReport:
    report, _ = RectificationReport.objects.get_or_create(round=round_)
    items = RectificationItem.objects.filter(case_id=round_.case_id)
    ItemProgress.objects.bulk_create(
        [ItemProgress(report=report, item=item) for item in items], ignore_conflicts=True
    )
    return report


def _fulfil(obligation: Obligation | None, done: bool) -> None:
    if obligation is None:
        return
    obligation.fulfilled_at = timezone.now() if done else None
    obligation.save(update_fields=["fulfilled_at"])


def _submit(paper: RectificationPlan | RectificationReport) -> None:
    paper.status = ReviewStatus.SUBMITTED
    paper.submitted_at = timezone.now()
    paper.submissions += 1
    paper.return_comment = ""
    paper.save(update_fields=["status", "submitted_at", "submissions", "return_comment"])


def _decide(
    paper: RectificationPlan | RectificationReport,
    *,
    actor,
    label: str,
    accept: bool,
    comment: str = "",
) -> None:
    """The office's acceptance or return (with comments) of a submitted plan or report."""
    if paper.status != ReviewStatus.SUBMITTED:
        raise ValidationError(f"只有待审核的{label}可以{'通过' if accept else '退回'}。")
    paper.status = ReviewStatus.ACCEPTED if accept else ReviewStatus.RETURNED
    paper.reviewed_at = timezone.now()
    paper.reviewed_by = actor
    paper.return_comment = comment
    paper.save(update_fields=["status", "reviewed_at", "reviewed_by", "return_comment"])


# --- the clock -----------------------------------------------------------------------------


def open_case(*, actor, document: Document) -> RectificationCase | None:
    """Called in the transaction that sets an opinion's receipt (or delivery) date: opens the
    subject's case with its two deadlines, or, when the office corrects the delivery date of a
    case whose plan is not yet in, moves them with the date (audited)."""
    if document.kind != DocumentKind.OPINION or document.subject_id is None:
        return None
    if document.received_on is None or document.opinion_id is None:
        return None
    received = document.received_on
    existing = (
        RectificationCase.objects.select_for_update().filter(subject_id=document.subject_id).first()
    )
    if existing is not None:
        # The office corrects a delivery date it recorded; an acknowledgement that comes after
        # a recorded delivery does not restart the clock.
        if document.receipt_recorded:
            return _correct_received(actor, existing, received)
        return existing
    opinion = Opinion.objects.select_related("review__rules", "subject").get(pk=document.opinion_id)
    case = RectificationCase.objects.create(
        review=opinion.review,
        subject=opinion.subject,
        opinion=opinion,
        document=document,
        received_on=received,
    )
    RectificationItem.objects.bulk_create(
        RectificationItem(case=case, clause=clause, order=i, problem=clause.text)
        for i, clause in enumerate(opinion.clauses.order_by("order", "id"), start=1)
    )
    RectificationPlan.objects.create(case=case)
    first = RectificationRound.objects.create(case=case, number=1, started_on=received)
    plan_months, report_months = _periods(case)
    plan_due = deadlines.due_after(received, plan_months)
    report_due = deadlines.due_after(received, report_months)
    Obligation.objects.bulk_create(
        [
            Obligation(review=case.review, subject=case.subject, round=first, kind=kind, due_on=due)
            for kind, due in ((ObligationKind.PLAN, plan_due), (ObligationKind.REPORT, report_due))
        ]
    )
    _open_report(first)
    record(
        actor=actor,
        action="case.opened",
        target=case,
        summary=f"{case.subject.display_name}整改时限开始计算：意见于{date_cn(received)}送达，"
        f"整改方案{date_cn(plan_due)}前、整改报告{date_cn(report_due)}前报送",
        data={
            "received_on": received.isoformat(),
            "plan_due": plan_due.isoformat(),
            "report_due": report_due.isoformat(),
        },
    )
    _tell_official(
        case,
        "整改时限开始计算",
        f"请于{date_cn(plan_due)}前提交整改方案，{date_cn(report_due)}前提交整改落实情况报告。",
    )
    return case


def _correct_received(actor, case: RectificationCase, received: date):
    if case.received_on == received:
        return case
    plan = case.plan
    if plan.submissions:
        raise ValidationError(
            "整改方案已经提交，不能再更正送达日期；如需调整时限，请在整改页面调整。"
        )
    previous = case.received_on
    case.received_on = received
    case.save(update_fields=["received_on"])
    first = case.rounds.get(number=1)
    first.started_on = received
    first.save(update_fields=["started_on"])
    plan_months, report_months = _periods(case)
    for obligation in Obligation.objects.filter(round=first):
        months = plan_months if obligation.kind == ObligationKind.PLAN else report_months
        obligation.due_on = deadlines.due_after(received, months)
        obligation.save(update_fields=["due_on"])
    record(
        actor=actor,
        action="case.received_on_corrected",
        target=case,
        summary=f"{case.subject.display_name}意见送达日期由{date_cn(previous)}更正为"
        f"{date_cn(received)}，整改时限随之调整",
        data={"from": previous.isoformat(), "to": received.isoformat()},
    )
    return case


@transaction.atomic
def move_deadline(*, actor, obligation: Obligation, due_on: date, reason: str) -> Obligation:
    """A decision to move a due date (e.g. the council grants an extension). The reason is
    required and kept in the audit log; reminders count from the new date."""
    obligation = (
        Obligation.objects.select_for_update(of=("self",))
        .select_related("round__case__review", "review")
        .get(pk=obligation.pk)
    )
    if obligation.review.phase == Phase.ARCHIVED:
        raise ValidationError(ARCHIVED_MESSAGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明调整时限的依据（如主任会议决定）。"})
    if obligation.fulfilled_at is not None:
        raise ValidationError("该事项已经完成，无需调整时限。")
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "新的截止日期不能早于今天。"})
    calendar = deadlines.load_calendar(due_on, due_on)
    if not deadlines.is_workday(due_on, calendar):
        suggested = deadlines.next_workday(due_on, calendar)
        raise ValidationError(
            {"due_on": f"{date_cn(due_on)}不是工作日，期限应截至下一个工作日{date_cn(suggested)}。"}
        )
    if due_on == obligation.due_on:
        raise ValidationError({"due_on": "新的截止日期与原日期相同。"})
    previous = obligation.due_on
    obligation.due_on = due_on
    obligation.save(update_fields=["due_on"])
    label = obligation.get_kind_display()
    target = obligation.round.case if obligation.round_id else obligation.review
    who = obligation.subject.display_name if obligation.subject_id else obligation.review.title
    record(
        actor=actor,
        action="deadline.moved",
        target=target,
        summary=f"{who}{label}期限由{date_cn(previous)}调整为{date_cn(due_on)}：{reason}"[:300],
        data={
            "obligation": obligation.pk,
            "kind": obligation.kind,
            "from": previous.isoformat(),
            "to": due_on.isoformat(),
            "reason": reason,
        },
    )
    if obligation.round_id:
        _tell_official(
            obligation.round.case,
            f"{label}期限已调整",
            f"截止日期由{date_cn(previous)}调整为{date_cn(due_on)}。依据：{reason}",
        )
    return obligation


# --- the plan ------------------------------------------------------------------------------

PLAN_FIELDS = ("measures", "responsible", "due_on", "standard")
PLAN_LABELS = {
    "measures": "整改措施",
    "responsible": "责任人",
    "due_on": "完成时限",
    "standard": "完成标准",
}


def _require_contact(actor, case: RectificationCase) -> None:
    if not speaks_for(actor, case):
        raise PermissionDenied


@transaction.atomic
def save_plan(
    *, actor, case: RectificationCase, summary: str, items: dict[int, dict], file=None
) -> RectificationPlan:
    """Save the plan's text and each item's 四定 (`items` maps item id → fields). A draft
    may be incomplete; `submit_plan` checks it is whole."""
    case = _lock(case)
    _require_contact(actor, case)
    _require_open(case)
    plan = RectificationPlan.objects.select_for_update().get(case=case)
    if not plan.editable:
        raise ValidationError(f"整改方案{plan.get_status_display()}，不能修改。")
    rows = {item.pk: item for item in case.items.all()}
    if set(items) - set(rows):
        raise ValidationError("整改条目已变化，请刷新页面后重新填写。")
    for pk, values in items.items():
        item = rows[pk]
        for name in PLAN_FIELDS:
            if name in values:
                setattr(item, name, values[name])
    RectificationItem.objects.bulk_update(list(rows.values()), list(PLAN_FIELDS))
    plan.summary = summary
    fields = ["summary"]
    if file is not None:
        plan.file = file
        plan.file_name = getattr(file, "name", "")[:255]
        fields += ["file", "file_name"]
    plan.save(update_fields=fields)
    record(actor=actor, action="plan.saved", target=case, summary=f"保存整改方案：{case}")
    return plan


def plan_gaps(case: RectificationCase) -> list[str]:
    """What a plan still lacks, item by item, in Chinese."""
    gaps = []
    for item in case.items.all():
        missing = [PLAN_LABELS[name] for name in PLAN_FIELDS if not getattr(item, name)]
        if missing:
            gaps.append(f"第{item.order}项缺少{'、'.join(missing)}")
    return gaps


@transaction.atomic
def submit_plan(*, actor, case: RectificationCase) -> RectificationPlan:
    case = _lock(case)
    _require_contact(actor, case)
    _require_open(case)
    plan = RectificationPlan.objects.select_for_update().get(case=case)
    if not plan.editable:
        raise ValidationError(f"整改方案{plan.get_status_display()}，不能重复提交。")
    gaps = plan_gaps(case)
    if gaps:
        raise ValidationError(["整改方案还不完整：", *gaps])
    _submit(plan)
    obligation = obligation_of(case.rounds.get(number=1), ObligationKind.PLAN)
    _fulfil(obligation, True)
    late = obligation and timezone.localdate(plan.submitted_at) > obligation.due_on
    record(
        actor=actor,
        action="plan.submitted",
        target=case,
        summary=f"提交整改方案：{case}（第{plan.submissions}次{'，逾期' if late else ''}）",
    )
    _tell_office(case, f"{case.subject.display_name}提交了整改方案", "请审核。")
    return plan


@transaction.atomic
def accept_plan(*, actor, case: RectificationCase) -> RectificationPlan:
    case = _lock(case)
    plan = RectificationPlan.objects.select_for_update().get(case=case)
    _decide(plan, actor=actor, label="整改方案", accept=True)
    record(actor=actor, action="plan.accepted", target=case, summary=f"通过整改方案：{case}")
    _tell_official(case, "整改方案已通过审核", "请按方案抓好落实，按时报送整改落实情况报告。")
    return plan


@transaction.atomic
def return_plan(*, actor, case: RectificationCase, comment: str) -> RectificationPlan:
    """Send the plan back with comments. The plan obligation reopens against its original
    due date: a return does not move the deadline."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请填写退回意见。"})
    case = _lock(case)
    plan = RectificationPlan.objects.select_for_update().get(case=case)
    _decide(plan, actor=actor, label="整改方案", accept=False, comment=comment)
    _fulfil(obligation_of(case.rounds.get(number=1), ObligationKind.PLAN), False)
    record(
        actor=actor,
        action="plan.returned",
        target=case,
        summary=f"退回整改方案：{case}",
        data={"comment": comment},
    )
    _tell_official(case, "整改方案被退回修改", comment)
    return plan


# --- the report of a round -----------------------------------------------------------------


def _lock_report(case: RectificationCase) -> tuple[RectificationRound, RectificationReport]:
    round_ = case.rounds.select_for_update().order_by("-number").first()
    report = RectificationReport.objects.select_for_update().get(round=round_)
    return round_, report


@transaction.atomic
def save_report(
    *, actor, case: RectificationCase, summary: str, progress: dict[int, dict], file=None
) -> RectificationReport:
    """Save the current round's report: `progress` maps item id → {status, explanation}."""
    case = _lock(case)
    _require_contact(actor, case)
    _require_open(case)
    _round, report = _lock_report(case)
    if not report.editable:
        raise ValidationError(f"整改报告{report.get_status_display()}，不能修改。")
    rows = {p.item_id: p for p in report.progress.all()}
    if set(progress) - set(rows):
        raise ValidationError("整改条目已变化，请刷新页面后重新填写。")
    for item_id, values in progress.items():
        row = rows[item_id]
        if values.get("status") not in ItemStatus.values:
            raise ValidationError("请为每一项选择完成情况。")
        row.status = values["status"]
        row.explanation = values.get("explanation", "")
    ItemProgress.objects.bulk_update(list(rows.values()), ["status", "explanation"])
    report.summary = summary
    fields = ["summary"]
    if file is not None:
        report.file = file
        report.file_name = getattr(file, "name", "")[:255]
        fields += ["file", "file_name"]
    report.save(update_fields=fields)
    record(actor=actor, action="report.saved", target=case, summary=f"保存整改报告：{case}")
    return report


@transaction.atomic
def add_evidence(*, actor, case: RectificationCase, item: RectificationItem, file) -> Evidence:
    """Attach a (validated) file as evidence of an item in the current round's report."""
    case = _lock(case)
    _require_contact(actor, case)
    _require_open(case)
    _round, report = _lock_report(case)
    if not report.editable:
        raise ValidationError(f"整改报告{report.get_status_display()}，不能再上传佐证材料。")
    progress = ItemProgress.objects.get(report=report, item=item)
    evidence = Evidence.objects.create(
        progress=progress,
        file=file,
        name=getattr(file, "name", "")[:255],
        size=getattr(file, "size", 0) or 0,
        uploaded_by=actor,
    )
    record(
        actor=actor,
        action="evidence.added",
        target=case,
        summary=f"上传佐证材料：{case} 第{item.order}项 {evidence.name}"[:300],
    )
    return evidence


@transaction.atomic
def remove_evidence(*, actor, case: RectificationCase, evidence: Evidence) -> None:
    case = _lock(case)
    _require_contact(actor, case)
    _round, report = _lock_report(case)
    if evidence.progress.report_id != report.pk or not report.editable:
        raise ValidationError("只能删除正在填写的整改报告中的佐证材料。")
    name = evidence.name
    evidence.file.delete(save=False)
    evidence.delete()
    record(actor=actor, action="evidence.removed", target=case, summary=f"删除佐证材料：{name}")


def report_gaps(report: RectificationReport) -> list[str]:
    gaps = []
    if not report.file:
        gaps.append("请上传整改落实情况报告正式文本")
    if not report.summary.strip():
        gaps.append("请填写总体情况")
    for row in report.progress.select_related("item").order_by("item__order"):
        if not row.explanation.strip():
            gaps.append(f"第{row.item.order}项缺少情况说明")
    return gaps


@transaction.atomic
def submit_report(*, actor, case: RectificationCase) -> RectificationReport:
    case = _lock(case)
    _require_contact(actor, case)
    _require_open(case)
    round_, report = _lock_report(case)
    if not report.editable:
        raise ValidationError(f"整改报告{report.get_status_display()}，不能重复提交。")
    gaps = report_gaps(report)
    if gaps:
        raise ValidationError(["整改报告还不完整：", *gaps])
    _submit(report)
    _fulfil(obligation_of(round_, ObligationKind.REPORT), True)
    record(
        actor=actor,
        action="report.submitted",
        target=case,
        summary=f"提交整改报告：{case}（{round_}，第{report.submissions}次）",
    )
    _tell_office(case, f"{case.subject.display_name}提交了整改落实情况报告", "请审核。")
    return report


@transaction.atomic
def accept_report(*, actor, case: RectificationCase) -> RectificationReport:
    case = _lock(case)
    _round, report = _lock_report(case)
    _decide(report, actor=actor, label="整改报告", accept=True)
    record(actor=actor, action="report.accepted", target=case, summary=f"通过整改报告：{case}")
    _tell_official(case, "整改报告已通过审核", "常委会将对整改情况进行满意度测评。")
    return report


@transaction.atomic
def return_report(*, actor, case: RectificationCase, comment: str) -> RectificationReport:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请填写退回意见。"})
    case = _lock(case)
    round_, report = _lock_report(case)
    _decide(report, actor=actor, label="整改报告", accept=False, comment=comment)
    _fulfil(obligation_of(round_, ObligationKind.REPORT), False)
    record(
        actor=actor,
        action="report.returned",
        target=case,
        summary=f"退回整改报告：{case}",
        data={"comment": comment},
    )
    _tell_official(case, "整改报告被退回修改", comment)
    return report


# --- the satisfaction vote and 继续整改 --------------------------------------------------------


def rounds_ready_for_vote(review) -> list[RectificationRound]:
    """Rounds whose report is accepted and which no vote has judged yet."""
    return list(
        RectificationRound.objects.filter(
            case__review=review,
            case__status=CaseStatus.OPEN,
            report__status=ReviewStatus.ACCEPTED,
            outcome=RoundOutcome.PENDING,
            poll__isnull=True,
        )
        .select_related("case__subject")
        .order_by("case__subject__form", "case__subject__order", "case__subject_id")
    )


@transaction.atomic
def start_vote(*, actor, meeting, title: str = "") -> Poll:
    """A rectification satisfaction poll at `meeting` on every subject whose report has been
    accepted; the chair opens, closes and publishes it like the 民主测评."""
    from reviews import meetings

    review = meeting.review
    if review.phase != Phase.RECTIFY:
        raise ValidationError("评议活动进入“整改”阶段后才能进行整改满意度测评。")
    rounds = rounds_ready_for_vote(review)
    if not rounds:
        raise ValidationError("没有整改报告已通过审核、等待测评的评议对象。")
    poll = meetings.create_poll(
        actor=actor,
        meeting=meeting,
        title=title or f"{meeting.session_name}整改情况满意度测评",
        purpose=PollPurpose.RECTIFICATION,
        subjects=[r.case.subject for r in rounds],
    )
    RectificationRound.objects.filter(pk__in=[r.pk for r in rounds]).update(poll=poll)
    record(
        actor=actor,
        action="rectification_vote.started",
        target=meeting,
        summary=f"发起整改满意度测评：{poll.title}（{len(rounds)} 个评议对象）",
    )
    return poll


def settle(poll: Poll) -> list[RectificationRound]:
    """Apply a published rectification poll: per subject, 不满意 by more than half of all
    composition members ⇒ the round awaits the council's 继续整改; otherwise the case closes."""
    from reviews import meetings

    results = {r.item.subject_id: r for r in meetings.results(poll).items}
    total = int(poll.rules_snapshot.get("composition_total") or 0)
    rounds = list(
        RectificationRound.objects.select_for_update(of=("self",))
        .filter(poll=poll, outcome=RoundOutcome.PENDING)
        .select_related("case__subject", "case__review")
    )
    for round_ in rounds:
        result = results.get(round_.case.subject_id)
        against = result.members_dissatisfied if result else 0
        round_.dissatisfied = against
        round_.composition_total = total
        round_.decided_at = timezone.now()
        case = round_.case
        if against * 2 > total:
            round_.outcome = RoundOutcome.DISSATISFIED
            verdict = (
                f"不满意 {against} 票，超过全体组成人员 {total} 人的半数，待主任会议决定继续整改"
            )
        else:
            round_.outcome = RoundOutcome.SATISFIED
            case.status = CaseStatus.CLOSED
            case.closed_at = timezone.now()
            case.save(update_fields=["status", "closed_at"])
            verdict = f"不满意 {against} 票，未超过全体组成人员 {total} 人的半数，整改办结"
        round_.save(update_fields=["outcome", "dissatisfied", "composition_total", "decided_at"])
        record(
            actor=None,
            action="round.settled",
            target=case,
            summary=f"{case.subject.display_name}{round_}整改满意度测评：{verdict}",
            data={"poll": poll.pk, "dissatisfied": against, "composition_total": total},
        )
        _tell_official(case, "整改满意度测评结果", verdict)
        if case.status == CaseStatus.CLOSED:
            record(actor=None, action="case.closed", target=case, summary=f"整改办结：{case}")
    return rounds


@receiver(poll_published)
def _on_poll_published(sender, poll: Poll, **kwargs):
    if poll.purpose == PollPurpose.RECTIFICATION:
        settle(poll)


@transaction.atomic
def order_continue(
    *,
    actor,
    case: RectificationCase,
    council_session: str,
    council_date: date,
    due_on: date | None = None,
    requirements: str = "",
) -> RectificationRound:
    """The chairpersons' council orders 继续整改 after a dissatisfied vote: a new round with a
    new report deadline (the review's report period from the council's date unless the
    council sets one) and a 继续整改通知 drafted for the office to issue."""
    from .drafts import create_draft

    case = _lock(case)
    _require_open(case)
    last = case.rounds.select_for_update().order_by("-number").first()
    if last.outcome != RoundOutcome.DISSATISFIED:
        raise ValidationError("只有整改满意度测评结果为不满意的，才能决定继续整改。")
    council_session = (council_session or "").strip()
    if not council_session:
        raise ValidationError({"council_session": "请填写作出决定的主任会议。"})
    if council_date > timezone.localdate():
        raise ValidationError({"council_date": "主任会议日期不能晚于今天。"})
    _plan, report_months = _periods(case)
    due = due_on or deadlines.due_after(council_date, report_months)
    calendar = deadlines.load_calendar(due, due)
    if not deadlines.is_workday(due, calendar):
        workday = deadlines.next_workday(due, calendar)
        raise ValidationError({"due_on": f"{date_cn(due)}不是工作日，请改为{date_cn(workday)}。"})
    if due <= council_date:
        raise ValidationError({"due_on": "新的报告期限应晚于主任会议日期。"})
    last.outcome = RoundOutcome.CONTINUED
    last.save(update_fields=["outcome"])
    new = RectificationRound.objects.create(
        case=case,
        number=last.number + 1,
        started_on=council_date,
        council_session=council_session,
        council_date=council_date,
        requirements=requirements,
    )
    Obligation.objects.create(
        review=case.review, subject=case.subject, round=new, kind=ObligationKind.REPORT, due_on=due
    )
    _open_report(new)
    new.notice = create_draft(
        actor=actor, review=case.review, kind=DocumentKind.CONTINUE_NOTICE, subject=case.subject
    )
    new.save(update_fields=["notice"])
    record(
        actor=actor,
        action="round.continued",
        target=case,
        summary=f"{council_session}决定{case.subject.display_name}继续整改（{new}），"
        f"整改报告{date_cn(due)}前报送",
        data={"round": new.number, "due": due.isoformat(), "session": council_session},
    )
    _tell_official(
        case,
        "主任会议决定继续整改",
        f"请于{date_cn(due)}前报送继续整改落实情况报告。{requirements}".strip(),
    )
    _tell_office(
        case,
        f"主任会议决定{case.subject.display_name}继续整改",
        "继续整改通知草稿已生成，请审核后印发。",
    )
    return new


# --- follow-ups ----------------------------------------------------------------------------


@transaction.atomic
def record_follow_up(
    *, actor, case: RectificationCase, kind: str, session: str, held_on: date, summary: str
) -> FollowUp:
    """An explanation to the council (clears the subject's `explanation_due`), or a 询问 /
    质询 held on inadequate rectification."""
    case = _lock(case)
    if kind not in FollowUpKind.values:
        raise ValidationError({"kind": "请选择类型。"})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "日期不能晚于今天。"})
    follow_up = FollowUp.objects.create(
        case=case,
        kind=kind,
        session=session.strip(),
        held_on=held_on,
        summary=summary.strip(),
        recorded_by=actor,
    )
    if kind == FollowUpKind.EXPLANATION and case.subject.explanation_due:
        Subject.objects.filter(pk=case.subject_id).update(explanation_due=False)
    record(
        actor=actor,
        action="follow_up.recorded",
        target=case,
        summary=f"{case.subject.display_name}：{follow_up.get_kind_display()}（{session}，"
        f"{date_cn(held_on)}）",
    )
    return follow_up
