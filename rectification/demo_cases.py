"""Demo data of phase 4 整改 for the finished 2025 review (after rectification/demo.py has issued
its opinions): the review moves into 整改 and every issued opinion opens a case, in a realistic
mix that `make run` shows as of the real today:

- the 2026 holiday calendar is loaded (2027 is left for the office to enter);
- the remaining opinions are delivered in late September and October 2025; 蒋学文 (graded
  不满意) explained himself to the 主任会议 on 16 October, which then approved his opinion —
  the explanation is recorded as a follow-up;
- 林国栋, 伍光辉, 金鑫, 贾厚余, 吴银国: plan on time and accepted, report accepted, and the
  rectification vote of the 常委会 meeting of January 2026 satisfied → closed;
- 戴永明: voted 不满意 by more than half of all composition members at that meeting → the
  主任会议 ordered 继续整改 → round 2 in progress, its report due in about 20 days, the
  继续整改通知 issued;
- 郑洲: plan returned with comments and resubmitted (awaiting the office);
- 戚玉柱: plan overdue; 唐晓燕: plan accepted, report overdue;
- 孙丽 (login `official2`): plan accepted, report half written, due in about ten days;
- 蒋学文: plan submitted late, awaiting the office.

Every record goes through the services of rectification.cases; only history — dates a service
stamps "now" — is written directly, as in the rest of the demo — and the plans and reports of
officials without an account, which their units sent on paper and the office entered (audited
as 纸质报送，评议办登记). Runs once: skipped when the review has left
the meeting phase.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from reviews import meetings, services
from reviews.demo import DUTY_2025_TITLE, MEMBERS_2025, _users
from reviews.models import Choice, Poll, Review, Subject
from reviews.workflow import Phase
from subjects.audit import record
from subjects.files import in_memory
from subjects.models import User

from . import cases, deadlines, documents, holidays, opinions
from .models import (
    Document,
    DocumentKind,
    DocumentStatus,
    FollowUpKind,
    Holiday,
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
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 2026年部分节假日安排 — demo data written from memory of the State Council's notice
# (国务院办公厅关于2026年部分节假日安排的通知); to be checked against the official notice
# before relying on it. 2027 is left for the office to enter on the 节假日 page.
HOLIDAYS_2026 = """\
2026-01-01 元旦
2026-01-02 元旦
2026-01-03 元旦
2026-01-04 调休上班
2026-02-14 调休上班
2026-02-15 春节
2026-02-16 春节
2026-02-17 春节
2026-02-18 春节
2026-02-19 春节
2026-02-20 春节
2026-02-21 春节
2026-02-22 春节
2026-02-23 春节
2026-02-28 调休上班
2026-04-04 清明节
2026-04-05 清明节
2026-04-06 清明节
2026-05-01 劳动节
2026-05-02 劳动节
2026-05-03 劳动节
2026-05-04 劳动节
2026-05-05 劳动节
2026-05-09 调休上班
2026-06-19 端午节
2026-06-20 端午节
2026-06-21 端午节
2026-09-20 调休上班
2026-09-25 中秋节
2026-09-26 中秋节
2026-09-27 中秋节
2026-10-01 国庆节
2026-10-02 国庆节
2026-10-03 国庆节
2026-10-04 国庆节
2026-10-05 国庆节
2026-10-06 国庆节
2026-10-07 国庆节
2026-10-10 调休上班
"""

# When the office recorded the delivery of each remaining opinion (history).
DELIVERED = {
    "林国栋": date(2025, 9, 28),
    "伍光辉": date(2025, 9, 29),
    "金鑫": date(2025, 9, 29),
    "贾厚余": date(2025, 9, 30),
    "吴银国": date(2025, 9, 30),
    "戴永明": date(2025, 10, 9),
    "郑洲": date(2025, 10, 9),
    "戚玉柱": date(2025, 10, 10),
}

EXPLAINED = "蒋学文"
EXPLANATION_SESSION = "县十八届人大常委会第四十四次主任会议"
EXPLANATION_DATE = date(2025, 10, 16)
EXPLANATION = (
    "蒋学文同志就测评结果为不满意向主任会议作出说明，对根治欠薪工作推进不力、社保经办服务"
    "群众满意度不高等问题作了检讨，表示将建立欠薪问题动态清零台账，推行社保业务“一窗通办”，"
    "在规定时间内认真整改并向常委会报告。主任会议听取说明后审议通过了对其的评议意见。"
)
EXPLAINED_SIGNED = date(2025, 10, 17)
EXPLAINED_DELIVERED = date(2025, 10, 20)

SATISFIED = ("林国栋", "伍光辉", "金鑫", "贾厚余", "吴银国")
CONTINUED = "戴永明"
RETURNED_PLAN = "郑洲"
OVERDUE_PLAN = "戚玉柱"
OVERDUE_REPORT = "唐晓燕"
DUE_SOON = "孙丽"
VOTED = (*SATISFIED, CONTINUED)

PLAN_RETURN = (
    "第2项整改措施只写了“加强跟踪督办”，请明确具体举措、责任科室和完成时限；完成标准请"
    "尽量量化，如代表建议承诺事项按期办结率。"
)
EXTENSION = "经主任会议同意，整改落实情况报告报送时限相应延长。"

MEETING_SESSION = "县十八届人大常委会第三十一次会议"
MEETING_AT = datetime(2026, 1, 15, 9, 0, tzinfo=SHANGHAI)
CONTINUE_SESSION = "县十八届人大常委会第五十二次主任会议"
CONTINUE_DATE = date(2026, 1, 22)
CONTINUE_SIGNED = date(2026, 1, 23)
CONTINUE_REQUIREMENTS = (
    "针对常委会组成人员提出的审判质效、诉讼服务等方面的问题，逐项制定继续整改措施，"
    "于规定期限内向常委会书面报告继续整改情况。"
)

MEASURES = (
    "制定专项整改工作方案，建立问题清单、责任清单和任务清单，逐项明确整改措施",
    "建立台账式管理、销号式落实机制，每月调度整改进展，对照承诺事项逐件跟踪督办",
    "组织开展专题培训和案卷评查，健全执法（办案）规范化制度，落实常态化监督检查",
    "建立领导班子成员定点联系基层制度，每季度深入基层调研不少于一次，及时回应群众关切",
)


def _hour(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def _speaker(subject: Subject) -> User | None:
    """Whoever fills the plan and the report: the official's login (孙丽). The demo's other
    officials have no account: their units sent the plan and report on paper, and the
    office entered them (written directly below, audited as such)."""
    people = cases.contacts_of(subject)
    return people[0] if people else None


def _items(case: RectificationCase, start: date) -> dict[int, dict]:
    return {
        item.pk: {
            "measures": MEASURES[(item.order - 1) % len(MEASURES)] + "。",
            "responsible": f"{case.subject.display_name}（牵头）",
            "due_on": start + timedelta(days=45 + 10 * item.order),
            "standard": "问题整改到位，制度机制健全，群众和代表反映的问题按期办结、得到回应。",
        }
        for item in case.items.all()
    }


PLAN_SUMMARY = (
    "对照评议意见逐条制定整改措施，明确责任人和完成时限，列入本单位年度重点工作，按月调度推进。"
)
REPORT_SUMMARY = "对照评议意见提出的问题，逐条落实整改措施，整改工作取得阶段性成效。"
REPORT_PDF = b"%PDF-1.4\n% demo rectification report\n%%EOF\n"


def _save_plan(case, user, start: date) -> None:
    items = _items(case, start)
    if user is not None:
        cases.save_plan(actor=user, case=case, summary=PLAN_SUMMARY, items=items)
        return
    rows = list(case.items.all())
    for row in rows:
        for name, value in items[row.pk].items():
            setattr(row, name, value)
    RectificationItem.objects.bulk_update(rows, list(cases.PLAN_FIELDS))
    RectificationPlan.objects.filter(case=case).update(summary=PLAN_SUMMARY)


def _submit_plan(case, user, office) -> None:
    if user is not None:
        cases.submit_plan(actor=user, case=case)
        return
    plan = RectificationPlan.objects.get(case=case)
    plan.status = ReviewStatus.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.submissions += 1
    plan.return_comment = ""
    plan.save(update_fields=["status", "submitted_at", "submissions", "return_comment"])
    obligation = cases.obligation_of(case.rounds.get(number=1), ObligationKind.PLAN)
    cases._fulfil(obligation, True)
    record(
        actor=office,
        action="plan.submitted",
        target=case,
        summary=f"提交整改方案：{case}（第{plan.submissions}次，纸质报送，评议办登记）",
    )


def _save_report(case, user, *, done: bool) -> None:
    round_ = cases.current_round(case)
    rows = {p.item_id: p for p in round_.report.progress.all()}
    progress = {
        item_id: {
            "status": ItemStatus.DONE if done or i == 0 else ItemStatus.ONGOING,
            "explanation": "已按整改方案完成，相关制度已印发执行。"
            if done or i == 0
            else "正在推进，已完成阶段性任务。",
        }
        for i, item_id in enumerate(sorted(rows))
    }
    upload = in_memory(REPORT_PDF, f"{case.subject.display_name}整改落实情况报告.pdf")
    if user is not None:
        cases.save_report(
            actor=user, case=case, summary=REPORT_SUMMARY, progress=progress, file=upload
        )
        return
    for item_id, values in progress.items():
        row = rows[item_id]
        row.status, row.explanation = values["status"], values["explanation"]
    ItemProgress.objects.bulk_update(list(rows.values()), ["status", "explanation"])
    report = round_.report
    report.summary = REPORT_SUMMARY
    report.file = upload
    report.file_name = upload.name
    report.save(update_fields=["summary", "file", "file_name"])


def _submit_report(case, user, office) -> None:
    if user is not None:
        cases.submit_report(actor=user, case=case)
        return
    round_ = cases.current_round(case)
    report = RectificationReport.objects.get(round=round_)
    report.status = ReviewStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submissions += 1
    report.save(update_fields=["status", "submitted_at", "submissions"])
    cases._fulfil(cases.obligation_of(round_, ObligationKind.REPORT), True)
    record(
        actor=office,
        action="report.submitted",
        target=case,
        summary=f"提交整改报告：{case}（{round_}，纸质报送，评议办登记）",
    )


def _stamp_plan(case, submitted: date, reviewed: date | None) -> None:
    RectificationPlan.objects.filter(case=case).update(
        submitted_at=_hour(submitted), reviewed_at=_hour(reviewed) if reviewed else None
    )
    Obligation.objects.filter(round__case=case, kind=ObligationKind.PLAN).exclude(
        fulfilled_at=None
    ).update(fulfilled_at=_hour(submitted))


def _stamp_report(round_, submitted: date, reviewed: date | None) -> None:
    RectificationReport.objects.filter(round=round_).update(
        submitted_at=_hour(submitted), reviewed_at=_hour(reviewed) if reviewed else None
    )
    Obligation.objects.filter(round=round_, kind=ObligationKind.REPORT).exclude(
        fulfilled_at=None
    ).update(fulfilled_at=_hour(submitted))


def _due(case, kind: str, day: date) -> None:
    """History: the demo's deadlines relative to the real today (on a workday)."""
    day = deadlines.next_workday(day, deadlines.load_calendar(day, day + timedelta(days=30)))
    Obligation.objects.filter(round=cases.current_round(case), kind=kind).update(due_on=day)


def _plan_accepted(case, office, user) -> None:
    start = case.received_on
    _save_plan(case, user, start)
    _submit_plan(case, user, office)
    cases.accept_plan(actor=office, case=case)
    _stamp_plan(case, start + timedelta(days=24), start + timedelta(days=28))


def _report_accepted(case, office, user) -> None:
    _save_report(case, user, done=True)
    _submit_report(case, user, office)
    cases.accept_report(actor=office, case=case)
    submitted = case.received_on + timedelta(days=80)
    _stamp_report(cases.current_round(case), submitted, submitted + timedelta(days=5))


def _load_holidays(office) -> None:
    if not Holiday.objects.filter(day__year=2026).exists():
        holidays.import_year(actor=office, text=HOLIDAYS_2026)


def _deliver_rest(office, chair, review) -> None:
    issued = {
        d.subject.display_name: d
        for d in Document.objects.filter(
            review=review, kind=DocumentKind.OPINION, status=DocumentStatus.ISSUED
        ).select_related("subject")
    }
    for name, day in DELIVERED.items():
        document = issued.get(name)
        if document is not None and document.received_on is None:
            documents.record_delivery(actor=office, document=document, delivered_on=day)
    # 蒋学文 explained himself; the council then approved his opinion, issued the next day.
    opinion = review.opinions.filter(subject__display_name=EXPLAINED).first()
    if opinion is not None and opinion.status == "submitted":
        opinion = opinions.approve(
            actor=chair, opinion=opinion, session=EXPLANATION_SESSION, on=EXPLANATION_DATE
        )
        with transaction.atomic():
            locked = Opinion.objects.select_for_update().select_related("review", "subject")
            document, _made = opinions.issue_locked_opinion(
                actor=office, opinion=locked.get(pk=opinion.pk), signed_on=EXPLAINED_SIGNED
            )
        documents.record_delivery(actor=office, document=document, delivered_on=EXPLAINED_DELIVERED)
        case = RectificationCase.objects.get(subject=opinion.subject)
        cases.record_follow_up(
            actor=office,
            case=case,
            kind=FollowUpKind.EXPLANATION,
            session=EXPLANATION_SESSION,
            held_on=EXPLANATION_DATE,
            summary=EXPLANATION,
        )


def _sync_receipts(review) -> None:
    """History: a receipt the demo back-dated after the case opened (孙丽 signed on 28
    September, not today) starts the case's clock on that day."""
    for case in RectificationCase.objects.filter(review=review).select_related(
        "document", "review__rules"
    ):
        received = case.document.received_on
        if received is None or received == case.received_on:
            continue
        RectificationCase.objects.filter(pk=case.pk).update(received_on=received)
        first = case.rounds.get(number=1)
        RectificationRound.objects.filter(pk=first.pk).update(started_on=received)
        plan_months, report_months = cases._periods(case)
        for kind, months in (
            (ObligationKind.PLAN, plan_months),
            (ObligationKind.REPORT, report_months),
        ):
            Obligation.objects.filter(round=first, kind=kind).update(
                due_on=deadlines.due_after(received, months)
            )


def _extend(office, case, days: int, reason: str) -> None:
    """The council granted more time for the report: an audited decision (move_deadline)."""
    day = timezone.localdate() + timedelta(days=days)
    day = deadlines.next_workday(day, deadlines.load_calendar(day, day + timedelta(days=30)))
    obligation = cases.obligation_of(cases.current_round(case), ObligationKind.REPORT)
    cases.move_deadline(actor=office, obligation=obligation, due_on=day, reason=reason)


def _vote(office, chair, review, by_name) -> Poll:
    """The 常委会 meeting of January 2026 and its rectification vote: 戴永明 不满意 by
    seven of the composition members, everyone else 满意."""
    meeting = meetings.create_meeting(
        actor=office,
        review=review,
        session_name=MEETING_SESSION,
        starts_at=MEETING_AT,
        place="县人大常委会机关第一会议室",
    )
    voters = _users(*MEMBERS_2025)
    for user in voters:
        meetings.check_in(actor=office, meeting=meeting, user=user)
    poll = cases.start_vote(actor=office, meeting=meeting)
    poll = meetings.open_poll(actor=chair, poll=poll)
    items = list(poll.items.select_related("subject"))
    for index, user in enumerate(voters):
        voter = meetings.voter_for_user(poll, user)
        if voter is None:
            continue
        marks = {
            str(item.pk): Choice.DISSATISFIED
            if item.subject.display_name == CONTINUED and index < 7
            else Choice.SATISFIED
            for item in items
        }
        meetings.cast_ballot(poll=poll, voter=voter, marks=marks)
    poll = meetings.close_poll(actor=chair, poll=poll)
    poll = meetings.publish_poll(actor=chair, poll=poll)  # settles the rounds
    held = MEETING_AT + timedelta(hours=2)
    Poll.objects.filter(pk=poll.pk).update(
        opened_at=MEETING_AT + timedelta(hours=1), closed_at=held, published_at=held
    )
    RectificationRound.objects.filter(poll=poll).update(decided_at=held)
    RectificationCase.objects.filter(review=review, closed_at__isnull=False).update(closed_at=held)
    return poll


@transaction.atomic
def seed_cases(office, chair) -> None:
    review = Review.objects.filter(title=DUTY_2025_TITLE).first()
    if review is None or review.phase != Phase.MEETING:
        return
    if not review.opinions.filter(status="issued").exists():
        return
    _load_holidays(office)
    review = services.advance_phase(actor=office, review=review)
    _deliver_rest(office, chair, review)
    _sync_receipts(review)
    by_name = {
        c.subject.display_name: c
        for c in RectificationCase.objects.filter(review=review).select_related(
            "subject__official__user"
        )
    }
    speaker = {name: _speaker(case.subject) for name, case in by_name.items()}
    today = timezone.localdate()

    for name in (*VOTED, OVERDUE_REPORT, DUE_SOON):
        if name in by_name:
            _plan_accepted(by_name[name], office, speaker[name])
    for name in VOTED:
        if name in by_name:
            _report_accepted(by_name[name], office, speaker[name])
    if any(name in by_name for name in VOTED):
        _vote(office, chair, review, by_name)

    continued = by_name.get(CONTINUED)
    if continued is not None:
        due = deadlines.next_workday(
            today + timedelta(days=20), deadlines.load_calendar(today, today + timedelta(days=40))
        )
        round_ = cases.order_continue(
            actor=chair,
            case=continued,
            council_session=CONTINUE_SESSION,
            council_date=CONTINUE_DATE,
            due_on=due,
            requirements=CONTINUE_REQUIREMENTS,
        )
        from .demo import _issue

        _issue(actor=office, document=round_.notice, signed_on=CONTINUE_SIGNED)
        _save_report(continued, speaker[CONTINUED], done=False)

    returned = by_name.get(RETURNED_PLAN)
    if returned is not None:
        user = speaker[RETURNED_PLAN]
        _save_plan(returned, user, returned.received_on)
        _submit_plan(returned, user, office)
        cases.return_plan(actor=office, case=returned, comment=PLAN_RETURN)
        _stamp_plan(returned, date(2025, 11, 6), date(2025, 11, 10))
        _save_plan(returned, user, returned.received_on)
        _submit_plan(returned, user, office)
        _extend(office, returned, 45, EXTENSION)

    late = by_name.get(OVERDUE_PLAN)
    if late is not None:
        _save_plan(late, speaker[OVERDUE_PLAN], late.received_on)  # a draft, never submitted
        _due(late, ObligationKind.PLAN, today - timedelta(days=6))
        _extend(office, late, 60, EXTENSION)

    overdue = by_name.get(OVERDUE_REPORT)
    if overdue is not None:
        _due(overdue, ObligationKind.REPORT, today - timedelta(days=4))

    soon = by_name.get(DUE_SOON)
    if soon is not None:
        _save_report(soon, speaker[DUE_SOON], done=False)
        _extend(office, soon, 10, EXTENSION)

    explained = by_name.get(EXPLAINED)
    if explained is not None:
        _save_plan(explained, speaker[EXPLAINED], explained.received_on)
        _submit_plan(explained, speaker[EXPLAINED], office)
        _extend(office, explained, 30, EXTENSION)
