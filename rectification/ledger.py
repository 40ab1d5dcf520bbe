"""The 整改台账 of a review: one row per rectification item, the progress of each subject and
of the review, its Excel workbook, and the office's decision to publish the status.

    ledger_rows(review, subject=…, status=…, overdue=True, category=…)  -> list[LedgerRow]
    progress(review)                                                    -> ReviewProgress
    ledger_workbook(review)                                             -> bytes (.xlsx)
    publish_ledger / unpublish_ledger                                   (audited)

Every read runs a fixed number of queries whatever the number of subjects and items: the
cases, rounds (with their reports), items (with their clauses), the items' finding
categories, the progress rows and the obligations are each read once and joined in Python.

An item's status is the one given in the latest report that reached the office (submitted or
accepted): a draft or returned report says nothing yet. The current round's report counts as
soon as it is submitted; until then the previous round's status stands.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reviews.models import Review, Subject
from reviews.workflow import Phase
from subjects.audit import record, register_actions
from surveys.models import FindingCategory

from .models import (
    CaseStatus,
    Evidence,
    FollowUp,
    ItemProgress,
    ItemStatus,
    LedgerPublication,
    Obligation,
    ObligationKind,
    OpinionClause,
    RectificationCase,
    RectificationItem,
    RectificationPlan,
    RectificationRound,
    ReviewStatus,
)

register_actions(
    {
        "ledger.published": "公开整改情况",
        "ledger.unpublished": "撤回公开的整改情况",
    }
)

REPORTED = (ReviewStatus.SUBMITTED, ReviewStatus.ACCEPTED)
NOT_REPORTED = "none"  # the status filter's value for items no report has covered yet
STATUS_LABELS = {**dict(ItemStatus.choices), "": "未报告"}
STATUS_BADGES = {
    ItemStatus.DONE: "text-bg-success",
    ItemStatus.ONGOING: "text-bg-warning",
    ItemStatus.NOT_STARTED: "text-bg-secondary",
    "": "text-bg-light border",
}
CATEGORY_LABELS = dict(FindingCategory.choices)


@dataclass
class LedgerRow:
    case: RectificationCase
    subject: Subject
    item: RectificationItem
    round_number: int
    categories: list[str]  # FindingCategory values, in the choices' order
    status: str  # ItemStatus value, or "" before any report
    plan_status: str
    plan_due: date | None
    plan_overdue: bool
    report_due: date | None
    report_overdue: bool
    internal: bool  # the clause is not for publication (or is gone)

    @property
    def problem(self) -> str:
        return self.item.problem

    @property
    def order(self) -> int:
        return self.item.order

    @property
    def measures(self) -> str:
        return self.item.measures

    @property
    def responsible(self) -> str:
        return self.item.responsible

    @property
    def due_on(self) -> date | None:
        return self.item.due_on

    @property
    def standard(self) -> str:
        return self.item.standard

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def category_labels(self) -> list[str]:
        return [CATEGORY_LABELS[c] for c in self.categories]

    @property
    def plan_status_label(self) -> str:
        return dict(ReviewStatus.choices).get(self.plan_status, "")

    @property
    def overdue(self) -> bool:
        return self.plan_overdue or self.report_overdue


@dataclass
class SubjectProgress:
    case: RectificationCase
    subject: Subject
    round_number: int
    items: int = 0
    done: int = 0
    rows: list[LedgerRow] = field(default_factory=list)

    @property
    def share(self) -> int:
        """Percentage of items reported 已完成 (0–100)."""
        return round(100 * self.done / self.items) if self.items else 0

    @property
    def closed(self) -> bool:
        return self.case.status == CaseStatus.CLOSED

    @property
    def status_label(self) -> str:
        if self.closed:
            return "已办结"
        if self.round_number > 1:
            return f"继续整改第{self.round_number}轮"
        return "整改中"

    @property
    def public_rows(self) -> list[LedgerRow]:
        return [row for row in self.rows if not row.internal]


@dataclass
class ReviewProgress:
    subjects: list[SubjectProgress]

    @property
    def cases_total(self) -> int:
        return len(self.subjects)

    @property
    def cases_closed(self) -> int:
        return sum(1 for s in self.subjects if s.closed)

    @property
    def items(self) -> int:
        return sum(s.items for s in self.subjects)

    @property
    def done(self) -> int:
        return sum(s.done for s in self.subjects)

    @property
    def share(self) -> int:
        return round(100 * self.done / self.items) if self.items else 0


# --- reading -------------------------------------------------------------------------------


def _all_rows(review: Review, today: date | None = None) -> list[LedgerRow]:
    today = today or timezone.localdate()
    cases = list(
        RectificationCase.objects.filter(review=review)
        .select_related("subject", "plan")
        .order_by("subject__form", "subject__order", "subject_id")
    )
    if not cases:
        return []
    rounds = defaultdict(list)  # case id -> rounds, by number
    for round_ in (
        RectificationRound.objects.filter(case__review=review)
        .select_related("report")
        .order_by("case_id", "number")
    ):
        rounds[round_.case_id].append(round_)
    items = list(
        RectificationItem.objects.filter(case__review=review)
        .select_related("clause")
        .order_by("case_id", "order", "id")
    )
    categories = defaultdict(set)  # clause id -> categories
    through = OpinionClause.findings.through.objects.filter(opinionclause__opinion__review=review)
    for clause_id, category in through.values_list("opinionclause_id", "finding__category"):
        categories[clause_id].add(category)
    # item id -> {report id: status}, reports that reached the office only.
    statuses = defaultdict(dict)
    for item_id, report_id, status in ItemProgress.objects.filter(
        report__round__case__review=review, report__status__in=REPORTED
    ).values_list("item_id", "report_id", "status"):
        statuses[item_id][report_id] = status
    obligations = {}  # (round id, kind) -> obligation
    for obligation in Obligation.objects.filter(review=review, round__isnull=False):
        obligations[(obligation.round_id, obligation.kind)] = obligation

    def due(round_, kind):
        obligation = obligations.get((round_.pk, kind)) if round_ else None
        if obligation is None:
            return None, False
        return obligation.due_on, obligation.fulfilled_at is None and obligation.due_on < today

    by_case = defaultdict(list)
    for item in items:
        by_case[item.case_id].append(item)
    order = [c for c, _ in FindingCategory.choices]
    rows = []
    for case in cases:
        case_rounds = rounds.get(case.pk, [])
        first = case_rounds[0] if case_rounds else None
        current = case_rounds[-1] if case_rounds else None
        # Latest reported first: the report ids of the rounds, newest round first.
        report_ids = [
            r.report.pk
            for r in reversed(case_rounds)
            if getattr(r, "report", None) is not None and r.report.status in REPORTED
        ]
        plan = getattr(case, "plan", None)
        plan_due, plan_overdue = due(first, ObligationKind.PLAN)
        report_due, report_overdue = due(current, ObligationKind.REPORT)
        for item in by_case.get(case.pk, []):
            known = statuses.get(item.pk, {})
            status = next((known[r] for r in report_ids if r in known), "")
            found = categories.get(item.clause_id, set())
            rows.append(
                LedgerRow(
                    case=case,
                    subject=case.subject,
                    item=item,
                    round_number=current.number if current else 1,
                    categories=[c for c in order if c in found],
                    status=status,
                    plan_status=plan.status if plan else "",
                    plan_due=plan_due,
                    plan_overdue=plan_overdue,
                    report_due=report_due,
                    report_overdue=report_overdue,
                    internal=item.clause is None or item.clause.internal,
                )
            )
    return rows


def ledger_rows(
    review: Review,
    *,
    subject: int | Subject | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    category: str | None = None,
) -> list[LedgerRow]:
    """The ledger, filtered: `subject` (a subject or its id), `status` (an ItemStatus value or
    "none" for items no report covers yet), `overdue` (only rows with an open obligation past
    its date) and `category` (a FindingCategory value among the item's findings)."""
    rows = _all_rows(review)
    if subject:
        subject_id = getattr(subject, "pk", subject)
        rows = [r for r in rows if r.subject.pk == int(subject_id)]
    if status:
        wanted = "" if status == NOT_REPORTED else status
        rows = [r for r in rows if r.status == wanted]
    if overdue:
        rows = [r for r in rows if r.overdue]
    if category:
        rows = [r for r in rows if category in r.categories]
    return rows


def progress(review: Review, rows: list[LedgerRow] | None = None) -> ReviewProgress:
    """Per subject with a case: items, items 已完成, the status label; and the review's
    totals (cases closed / total, share of items done). Pass unfiltered `rows` to reuse
    them."""
    rows = _all_rows(review) if rows is None else rows
    cases = {
        case.pk: case
        for case in RectificationCase.objects.filter(review=review).select_related("subject")
    }
    by_case: dict[int, SubjectProgress] = {}
    for row in rows:
        entry = by_case.get(row.case.pk)
        if entry is None:
            entry = by_case[row.case.pk] = SubjectProgress(row.case, row.subject, row.round_number)
        entry.items += 1
        entry.done += row.status == ItemStatus.DONE
        entry.rows.append(row)
    # A case without items still counts (its opinion had no clauses).
    if len(by_case) < len(cases):
        numbers = dict(
            RectificationRound.objects.filter(case__review=review)
            .order_by("case_id", "number")
            .values_list("case_id", "number")
        )
        for pk, case in cases.items():
            by_case.setdefault(pk, SubjectProgress(case, case.subject, numbers.get(pk, 1)))
    entries = sorted(
        by_case.values(), key=lambda e: (e.subject.form, e.subject.order, e.subject.pk)
    )
    return ReviewProgress(entries)


def is_published(review: Review) -> bool:
    return LedgerPublication.objects.filter(review=review).exists()


# --- the workbook --------------------------------------------------------------------------

LEDGER_COLUMNS = (
    ("评议对象", 12),
    ("单位及职务", 24),
    ("轮次", 6),
    ("序号", 6),
    ("存在的问题", 40),
    ("问题类别", 14),
    ("整改措施", 40),
    ("责任人", 12),
    ("完成时限", 12),
    ("完成标准", 30),
    ("完成情况", 10),
    ("整改方案", 10),
    ("方案截止日期", 12),
    ("方案逾期", 8),
    ("报告截止日期", 12),
    ("报告逾期", 8),
)
SUMMARY_COLUMNS = (
    ("评议对象", 12),
    ("单位及职务", 24),
    ("整改状态", 16),
    ("整改条目", 10),
    ("已完成", 10),
    ("完成比例", 10),
)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F8E9E9")
WRAP = Alignment(wrap_text=True, vertical="top")


def _sheet(sheet, columns) -> None:
    sheet.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"


def ledger_workbook(review: Review) -> bytes:
    """The ledger as an .xlsx: sheet 整改台账 (every item, all columns) and sheet 进度汇总
    (per subject and the review's total). Used by the ledger page and the archive."""
    rows = _all_rows(review)
    summary = progress(review, rows)
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    _sheet(sheet, LEDGER_COLUMNS)
    for row in rows:
        sheet.append(
            [
                row.subject.display_name,
                f"{row.subject.unit_name}{row.subject.post}",
                row.round_number,
                row.order,
                row.problem,
                "、".join(row.category_labels),
                row.measures,
                row.responsible,
                row.due_on,
                row.standard,
                row.status_label,
                row.plan_status_label,
                row.plan_due,
                "是" if row.plan_overdue else "",
                row.report_due,
                "是" if row.report_overdue else "",
            ]
        )
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = WRAP
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    totals = book.create_sheet("进度汇总")
    _sheet(totals, SUMMARY_COLUMNS)
    for entry in summary.subjects:
        totals.append(
            [
                entry.subject.display_name,
                f"{entry.subject.unit_name}{entry.subject.post}",
                entry.status_label,
                entry.items,
                entry.done,
                entry.share / 100,
            ]
        )
    totals.append(
        [
            "合计",
            f"已办结 {summary.cases_closed} / {summary.cases_total}",
            "",
            summary.items,
            summary.done,
            summary.share / 100,
        ]
    )
    for line in totals.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in line:
            cell.number_format = "0%"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- publication ---------------------------------------------------------------------------


@transaction.atomic
def publish_ledger(*, actor, review: Review) -> LedgerPublication:
    """Show each subject's rectification status and progress on the review's public page."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.phase != Phase.RECTIFY:
        raise ValidationError("评议活动处于“整改”阶段时才能公开整改情况。")
    if review.published_at is None:
        raise ValidationError("评议活动尚未向社会公示，公开整改情况前请先公示评议活动。")
    if not RectificationCase.objects.filter(review=review).exists():
        raise ValidationError("还没有评议对象开始整改，暂无整改情况可公开。")
    if LedgerPublication.objects.filter(review=review).exists():
        raise ValidationError("整改情况已经公开。")
    publication = LedgerPublication.objects.create(review=review, published_by=actor)
    record(
        actor=actor,
        action="ledger.published",
        target=review,
        summary=f"在公示页面公开整改情况：{review.title}",
    )
    return publication


@transaction.atomic
def unpublish_ledger(*, actor, review: Review) -> None:
    review = Review.objects.select_for_update().get(pk=review.pk)
    deleted, _ = LedgerPublication.objects.filter(review=review).delete()
    if not deleted:
        raise ValidationError("整改情况尚未公开。")
    record(
        actor=actor,
        action="ledger.unpublished",
        target=review,
        summary=f"撤回公示页面上的整改情况：{review.title}",
    )


# --- one case ------------------------------------------------------------------------------


@dataclass
class CaseSheet:
    case: RectificationCase
    items: list
    plan: object
    rounds: list
    current: RectificationRound | None
    report: object
    progress: list  # ItemProgress rows of the current report, with `evidence_list`
    obligations: list  # with `overdue`
    follow_ups: list


def case_sheet(case: RectificationCase, today: date | None = None) -> CaseSheet:
    """Everything the case page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    items = list(case.items.select_related("clause").order_by("order", "id"))
    plan = RectificationPlan.objects.filter(case=case).select_related("reviewed_by").first()
    rounds = list(
        case.rounds.select_related("report__reviewed_by", "notice", "poll").order_by("number")
    )
    current = rounds[-1] if rounds else None
    report = getattr(current, "report", None) if current else None
    rows = []
    if report is not None:
        rows = list(
            ItemProgress.objects.filter(report=report)
            .select_related("item")
            .prefetch_related(
                Prefetch(
                    "evidence",
                    queryset=Evidence.objects.order_by("uploaded_at", "id"),
                    to_attr="evidence_list",
                )
            )
            .order_by("item__order", "item_id")
        )
    obligations = list(
        Obligation.objects.filter(round__case=case)
        .select_related("round")
        .order_by("round__number", "kind", "id")
    )
    for obligation in obligations:
        obligation.overdue = obligation.fulfilled_at is None and obligation.due_on < today
    follow_ups = list(FollowUp.objects.filter(case=case).select_related("recorded_by"))
    return CaseSheet(case, items, plan, rounds, current, report, rows, obligations, follow_ups)
