"""The first drafts of a review's other official documents, filled from what the system knows.

    fields = initial(review, DocumentKind.RESULT_NOTICE)          # title, recipients, cc, body
    document = documents.create_document(actor=clerk, review=review, kind=…, **fields)

- 测评结果通报 (RESULT_NOTICE): the meeting, turnout and a table of every subject's counts, 满意率
  and 测评等次 from the latest closed poll, then what follows for subjects graded 不满意.
- 评议工作情况报告 (PARTY_REPORT): the report to the party committee, due
  `rules.party_report_days` after the meeting (an Obligation, see obligations.py): 基本情况,
  测评结果 (the same table), 主要问题 (findings by category), 下一步工作 (the rules' deadlines).
- 整改通知 / 继续整改通知 (RECTIFICATION_NOTICE, CONTINUE_NOTICE) for one subject.

The office edits every draft before issuing it; these texts only save the typing. Counts come
from aggregate queries, so drafting costs the same for 12 subjects or 200.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from reviews.models import (
    AssessmentGrade,
    Inquiry,
    InquiryStatus,
    Meeting,
    Poll,
    PollState,
    Review,
    Subject,
    SubjectForm,
)

from .deadlines import add_months
from .models import Document, DocumentKind, DocumentStatus
from .wording import (
    LAW,
    addressee,
    committee_short,
    date_cn,
    full_name,
    government_organs,
    party_committee,
    periods,
)


def _kind_name(review: Review) -> str:
    return review.get_kind_display()


def _paragraph(text: str) -> dict:
    return {"kind": "paragraph", "text": text}


def _heading(text: str) -> dict:
    return {"kind": "heading", "text": text}


# --- the poll and its table ---------------------------------------------------------------------


def latest_poll(review: Review) -> Poll | None:
    """The review's latest closed or published 民主测评."""
    return (
        Poll.objects.filter(
            meeting__review=review, state__in=(PollState.CLOSED, PollState.PUBLISHED)
        )
        .select_related("meeting")
        .order_by("-closed_at", "-id")
        .first()
    )


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def result_table(poll: Poll) -> tuple[dict, list]:
    """The table block of a poll's results, and [(subject, grade)] in agenda order."""
    from reviews import grading, meetings

    results = meetings.results(poll)
    header = ["序号", "评议对象", "单位及职务", "满意", "基本满意", "不满意"]
    if poll.allow_unknown:
        header.append("不了解")
    header += ["满意率", "测评等次"]
    rows, graded = [], []
    for n, line in enumerate(results.items, start=1):
        subject = line.item.subject
        total = line.total
        counts = [total.get(c, 0) for c in (grading.SATISFIED, grading.BASIC, grading.DISSATISFIED)]
        if poll.allow_unknown:
            counts.append(total.get(grading.UNKNOWN, 0))
        grade = line.grade
        has_grade = grade is not None and bool(grade.grade)
        rows.append(
            [
                str(n),
                subject.display_name,
                f"{subject.unit_name}{subject.post}" if not subject.is_unit else subject.unit_name,
                *(str(c) for c in counts),
                _percent(grade.satisfaction_rate) if has_grade else "—",
                grade.label if has_grade else "无有效票",
            ]
        )
        graded.append((subject, grade.grade if has_grade else ""))
    return {"kind": "table", "header": header, "rows": rows}, graded


def _turnout_sentence(poll: Poll) -> str:
    from reviews.models import PaperTally, Participation

    voted = Participation.objects.filter(poll=poll).count()
    sentence = f"应参加测评{poll.entitled_count}人，实际参加{voted}人"
    tallies = [t for t in PaperTally.objects.filter(poll=poll) if t.issued]
    for tally in tallies:
        sentence += (
            f"；{tally.get_group_display()}纸质测评票发出{tally.issued}张，"
            f"收回{tally.returned}张，有效{tally.valid}张"
        )
    return sentence + "。"


def _rule_sentence(poll: Poll) -> str:
    rules = poll.rules_snapshot or {}
    if "satisfied_min_percent" not in rules:
        return ""
    base = "常委会全体组成人员数" if rules.get("denominator") == "members" else "有效票数"
    return (
        f"满意率按（满意票＋基本满意票）÷{base}计算；满意率达到{rules['satisfied_min_percent']}%"
        f"的评为“满意”，不满意票超过{rules['dissatisfied_over_percent']}%的评为“不满意”，"
        "其余评为“基本满意”。"
    )


def _dissatisfied(graded: list[tuple[Subject, str]]) -> list[Subject]:
    """Subjects graded 不满意: the grade recorded on the subject when the poll was published
    (and the explanation still owed), else the poll's own grade."""
    out = []
    for subject, grade in graded:
        recorded = subject.assessment_grade or grade
        if subject.explanation_due or recorded == AssessmentGrade.DISSATISFIED:
            out.append(subject)
    return out


def _meeting_phrase(meeting: Meeting) -> str:
    when = date_cn(timezone.localdate(meeting.starts_at))
    return f"{when}召开的{meeting.session_name}"


def _form_counts(review: Review) -> dict[str, int]:
    return dict(Subject.objects.filter(review=review).values_list("form").annotate(n=Count("pk")))


# --- 测评结果通报 ---------------------------------------------------------------------------


def result_notice(review: Review) -> dict:
    poll = latest_poll(review)
    if poll is None:
        raise ValidationError(
            "评议会议尚未完成满意度测评（没有已结束的测评），暂不能起草测评结果通报。"
        )
    table, graded = result_table(poll)
    forms = _form_counts(review)
    total = sum(forms.values())
    onsite, written = forms.get(SubjectForm.ONSITE, 0), forms.get(SubjectForm.WRITTEN, 0)
    committee = committee_short()
    plan, report, _ = periods(review)
    who = "评议对象" if any(s.is_unit for s, _ in graded) else "被任命人员"
    body = [
        _paragraph(
            f"根据{LAW}和《{review.title}实施方案》，{committee}在{_meeting_phrase(poll.meeting)}上，"
            f"听取和审议了{total}名{who}的述职报告"
            + (f"（其中现场述职{onsite}名、书面述职{written}名）" if onsite and written else "")
            + f"，并进行了满意度测评。{_turnout_sentence(poll)}{_rule_sentence(poll)}"
            "现将测评结果通报如下："
        ),
        table,
    ]
    counted = {g: sum(1 for _, grade in graded if grade == g) for g in AssessmentGrade.values}
    summary = "，".join(
        f"评为“{label}”的{counted[value]}名"
        for value, label in AssessmentGrade.choices
        if counted[value]
    )
    if summary:
        body.append(_paragraph(f"测评结果：{summary}。"))
    poor = _dissatisfied(graded)
    if poor:
        names = "、".join(full_name(s) for s in poor)
        body.append(
            _paragraph(
                f"测评等次为“不满意”的{names}，应当向主任会议作出说明，"
                "并在规定时间内认真整改；整改不到位的，常委会将依法采取询问、质询等监督措施。"
            )
        )
    body += [
        _paragraph(
            f"{committee}将根据评议情况形成评议意见，经主任会议审议后转交各评议对象。"
            f"各评议对象应当自收到评议意见之日起{plan}个月内向常委会报送整改方案，"
            f"{report}个月内书面报告整改落实情况，常委会将对整改落实情况进行满意度测评。"
        ),
        _paragraph(
            "希望各评议对象以此次评议为契机，正确对待测评结果，认真查找差距和不足，"
            "自觉接受人大监督，依法履职、勤政廉政，不断提高工作水平。"
        ),
        _paragraph("特此通报。"),
    ]
    year = review.year
    return {
        "title": f"关于{year}年度{_kind_name(review)}\n满意度测评结果的通报",
        "recipients": government_organs(),
        "cc": f"{party_committee()}办公室，{committee}各工作委员会",
        "body": body,
    }


# --- 评议工作情况报告 ------------------------------------------------------------------------


def _survey_counts(review: Review) -> tuple[int, int, dict[str, int], int]:
    """(questionnaires, responses, activities by kind, 调查报告 heard) in four queries."""
    from surveys.models import Activity, InvestigationReport, Questionnaire, ReportStatus, Response

    questionnaires = Questionnaire.objects.filter(review=review, published_at__isnull=False).count()
    responses = Response.objects.filter(questionnaire__review=review, suspicious=False).count()
    activities = dict(
        Activity.objects.filter(review=review).values_list("kind").annotate(n=Count("pk"))
    )
    heard = InvestigationReport.objects.filter(
        subject__review=review, status=ReportStatus.HEARD
    ).count()
    return questionnaires, responses, activities, heard


def _finding_counts(review: Review) -> dict[str, int]:
    from surveys.models import Finding, FindingStatus

    return dict(
        Finding.objects.filter(review=review, status=FindingStatus.ACTIVE)
        .values_list("category")
        .annotate(n=Count("pk"))
    )


def party_report(review: Review) -> dict:
    from surveys.models import ActivityKind, FindingCategory

    committee = committee_short()
    plan, report, _ = periods(review)
    forms = _form_counts(review)
    total = sum(forms.values())
    groups = review.groups.count()
    questionnaires, responses, activities, heard = _survey_counts(review)
    findings = _finding_counts(review)
    inquiries = Inquiry.objects.filter(
        subject__review=review, status=InquiryStatus.ANSWERED
    ).count()
    poll = latest_poll(review)
    meeting = poll.meeting if poll else review.meetings.order_by("starts_at").first()

    body = [
        _paragraph(
            f"根据{LAW}和{party_committee()}的工作部署，{committee}组织开展了{review.title}。"
            "现将评议工作情况报告如下："
        ),
        _heading("一、基本情况"),
    ]
    forms_text = "、".join(
        f"{label}{forms[value]}名" for value, label in SubjectForm.choices if forms.get(value)
    )
    basic = (
        f"本次评议共确定评议对象{total}名"
        + (f"，其中{forms_text}" if len(forms) > 1 else "")
        + "。"
    )
    if groups:
        basic += (
            f"常委会成立评议工作领导小组，组建{groups}个评议工作组，分别由常委会领导带队开展调查。"
        )
    body.append(_paragraph(basic))
    survey = []
    activity_text = "、".join(
        f"{label}{activities[value]}次"
        for value, label in ActivityKind.choices
        if activities.get(value)
    )
    if activity_text:
        survey.append(f"各评议工作组通过{activity_text}等方式深入开展调查")
    if questionnaires:
        survey.append(f"发放满意度测评问卷{questionnaires}套，收回有效答卷{responses}份")
    found = sum(findings.values())
    if found:
        survey.append(f"梳理形成问题清单{found}条")
    if heard:
        survey.append(f"主任会议听取了{heard}份调查报告")
    if survey:
        body.append(_paragraph("；".join(survey) + "。"))
    if meeting is not None:
        held = (
            f"{_meeting_phrase(meeting)}听取了评议对象的述职报告"
            + (f"，常委会组成人员进行询问{inquiries}次，评议对象当场作了回答" if inquiries else "")
            + "，并进行了满意度测评。"
        )
        body.append(_paragraph(f"{committee}在{held}"))

    body.append(_heading("二、测评结果"))
    if poll is None:
        body.append(_paragraph("评议会议尚未完成满意度测评，测评结果另行报告。"))
    else:
        table, graded = result_table(poll)
        body += [_paragraph(_turnout_sentence(poll) + _rule_sentence(poll)), table]
        poor = _dissatisfied(graded)
        if poor:
            names = "、".join(full_name(s) for s in poor)
            body.append(
                _paragraph(f"测评等次为“不满意”的{names}，将按规定向主任会议作出说明并限期整改。")
            )

    body.append(_heading("三、主要问题"))
    if found:
        labels = dict(FindingCategory.choices)
        parts = "，".join(
            f"{labels[value]}方面{findings[value]}条"
            for value in FindingCategory.values
            if findings.get(value)
        )
        body.append(
            _paragraph(
                f"调查和评议中共梳理问题{found}条，其中{parts}。"
                "主要表现在：有的依法行政意识不够强，执法程序不够规范；有的抓落实力度不够，"
                "群众反映的问题解决不及时；有的对代表建议重答复、轻落实。"
            )
        )
    else:
        body.append(_paragraph("调查和评议中未梳理出需要整改的问题。"))

    body += [
        _heading("四、下一步工作"),
        _paragraph(
            f"{committee}将根据评议情况，逐一形成评议意见，经主任会议审议后印发各评议对象，"
            f"并抄送{government_organs()}。各评议对象应当自收到评议意见之日起{plan}个月内报送"
            f"整改方案，{report}个月内书面报告整改落实情况。"
        ),
        _paragraph(
            "常委会将对整改落实情况进行满意度测评；不满意票超过常委会组成人员半数的，"
            "由主任会议责成继续整改，直至满意。评议意见和整改情况将依法向社会公开，接受人民群众监督。"
        ),
        _paragraph("特此报告。"),
    ]
    return {
        "title": f"关于{review.year}年度{_kind_name(review)}工作情况的报告",
        "recipients": party_committee(),
        "cc": "",
        "body": body,
    }


# --- 整改通知 / 继续整改通知 --------------------------------------------------------------


def opinion_document(subject: Subject) -> Document | None:
    """The subject's issued 评议意见 (the latest)."""
    return (
        Document.objects.filter(
            subject=subject, kind=DocumentKind.OPINION, status=DocumentStatus.ISSUED
        )
        .select_related("organ")
        .order_by("-issued_at", "-id")
        .first()
    )


def _due(start: date | None, months: int) -> str:
    if start is None:
        return f"{months}个月内"
    return f"{months}个月内（即{date_cn(add_months(start, months))}前）"


def _require_subject(review: Review, subject: Subject | None) -> Subject:
    if subject is None or subject.review_id != review.pk:
        raise ValidationError("请选择本次评议的评议对象。")
    return subject


def rectification_notice(review: Review, subject: Subject | None) -> dict:
    subject = _require_subject(review, subject)
    plan, report, _ = periods(review)
    committee = committee_short()
    opinion = opinion_document(subject)
    start = opinion.received_on if opinion else None
    if opinion is not None:
        cited = (
            f"{committee}于{date_cn(opinion.signed_on)}印发了"
            f"《{opinion.title.replace(chr(10), '')}》（{opinion.reference}）"
        )
        received = f"，已于{date_cn(start)}签收" if start else ""
    else:
        cited = f"{committee}已对{addressee(subject)}进行了{_kind_name(review)}并形成评议意见"
        received = ""
    body = [
        _paragraph(
            f"{cited}{received}。根据{LAW}和《{review.title}实施方案》，现就做好评议意见整改工作"
            "通知如下："
        ),
        _heading("一、提高思想认识"),
        _paragraph(
            "要把评议意见的整改落实作为改进工作、推动发展的重要举措，对照评议意见逐条研究，"
            "主要负责同志亲自抓，确保整改取得实效。"
        ),
        _heading("二、按时报送整改方案"),
        _paragraph(
            f"请自收到评议意见之日起{_due(start, plan)}，将整改方案报送{committee}。"
            "整改方案应当针对评议意见指出的每一个问题，明确整改任务、整改措施、责任人员和完成时限。"
        ),
        _heading("三、书面报告整改落实情况"),
        _paragraph(
            f"请自收到评议意见之日起{_due(start, report)}，向{committee}书面报告整改落实情况，"
            "并附相关佐证材料。"
        ),
        _heading("四、接受监督"),
        _paragraph(
            "常委会将听取整改情况报告，并进行满意度测评。整改情况将向社会公开，接受人民群众监督。"
        ),
        _paragraph("特此通知。"),
    ]
    return {
        "title": f"关于{subject.display_name if not subject.is_unit else subject.unit_name}"
        f"{'同志' if not subject.is_unit else ''}\n落实评议意见整改工作的通知",
        "recipients": full_name(subject),
        # The official's own unit is told; a unit is addressed itself.
        "cc": "" if subject.is_unit else subject.unit_name,
        "body": body,
    }


def _latest_round(subject: Subject):
    """The subject's latest rectification round with its report deadline and the round the
    vote judged, or (None, None, None) when no case exists yet."""
    from .models import Obligation, ObligationKind, RectificationRound

    rounds = list(RectificationRound.objects.filter(case__subject=subject).order_by("-number")[:2])
    if not rounds:
        return None, None, None
    latest = rounds[0]
    report = Obligation.objects.filter(round=latest, kind=ObligationKind.REPORT).first()
    return latest, (report.due_on if report else None), (rounds[1] if len(rounds) > 1 else None)


def continue_notice(review: Review, subject: Subject | None) -> dict:
    """The 继续整改通知. Drafted by `cases.order_continue` once the new round exists, it names
    the council's session and date, the vote's figures and the new report's due date; drafted
    by hand before any 继续整改 it falls back to the review's periods."""
    subject = _require_subject(review, subject)
    plan, report, _ = periods(review)
    committee = committee_short()
    latest, due, judged = _latest_round(subject)
    decided = latest is not None and latest.number > 1 and bool(latest.council_session)
    if judged is not None and judged.dissatisfied is not None and judged.composition_total:
        voted = (
            f"不满意票 {judged.dissatisfied} 票，超过常委会全体组成人员 "
            f"{judged.composition_total} 人的半数"
        )
        when = ""
        if judged.decided_at:
            when = f"于{date_cn(timezone.localtime(judged.decided_at).date())}"
    else:
        voted, when = "不满意票超过常委会组成人员的半数", ""
    if decided:
        council = latest.council_session
        if latest.council_date:
            council += f"（{date_cn(latest.council_date)}）"
        studied = f"经{council}研究"
    else:
        studied = "经主任会议研究"
    find_out = [
        _paragraph(
            "请对照评议意见和常委会组成人员在审议中提出的意见，认真分析整改不到位的原因，"
            "逐项明确继续整改的任务和措施。"
        )
    ]
    if decided and latest.requirements.strip():
        find_out.append(_paragraph(f"主任会议提出的继续整改要求：{latest.requirements.strip()}"))
    if decided and due is not None:
        deadline = [
            _heading("二、按时报送继续整改落实情况报告"),
            _paragraph(
                f"请于{date_cn(due)}前，向{committee}书面报告继续整改落实情况，并附相关佐证材料。"
            ),
        ]
    else:
        deadline = [
            _heading("二、按时报送继续整改方案和报告"),
            _paragraph(
                f"请自收到本通知之日起{_due(None, plan)}，将继续整改方案报送{committee}；"
                f"{_due(None, report)}，向{committee}书面报告继续整改落实情况。"
            ),
        ]
    body = [
        _paragraph(
            f"{committee}{when}对{addressee(subject)}评议意见整改落实情况进行了满意度测评，"
            f"{voted}。根据{LAW}和《{review.title}实施方案》，{studied}，决定责成继续整改。"
            "现将有关事项通知如下："
        ),
        _heading("一、认真查找原因"),
        *find_out,
        *deadline,
        _heading("三、接受再次测评"),
        _paragraph(
            "常委会将再次听取整改情况报告并进行满意度测评。继续整改仍不到位的，"
            "常委会将依法采取询问、质询等监督措施。"
        ),
        _paragraph("特此通知。"),
    ]
    name = subject.unit_name if subject.is_unit else f"{subject.display_name}同志"
    return {
        "title": f"关于{name}\n继续落实评议意见整改工作的通知",
        "recipients": full_name(subject),
        # The official's own unit is told; a unit is addressed itself.
        "cc": "" if subject.is_unit else subject.unit_name,
        "body": body,
    }


# --- the entry points ---------------------------------------------------------------------------


def initial(review: Review, kind: str, *, subject: Subject | None = None) -> dict:
    """title, recipients, cc and body of a new document of `kind` (not the 评议意见, which
    has its own drafting in opinions.py). Raises ValidationError in Chinese when the review
    does not yet have what the document reports."""
    if kind == DocumentKind.RESULT_NOTICE:
        fields = result_notice(review)
    elif kind == DocumentKind.PARTY_REPORT:
        fields = party_report(review)
    elif kind == DocumentKind.RECTIFICATION_NOTICE:
        fields = rectification_notice(review, subject)
    elif kind == DocumentKind.CONTINUE_NOTICE:
        fields = continue_notice(review, subject)
    elif kind == DocumentKind.OPINION:
        raise ValidationError("评议意见请在评议意见页面起草。")
    else:
        raise ValidationError("未知的公文种类。")
    return {key: fields[key] for key in ("title", "recipients", "cc", "body")}


def create_draft(*, actor, review: Review, kind: str, subject: Subject | None = None) -> Document:
    """A new draft document of `kind`, prefilled (audited by documents.create_document)."""
    from . import documents

    fields = initial(review, kind, subject=subject)
    needs_subject = kind in (DocumentKind.RECTIFICATION_NOTICE, DocumentKind.CONTINUE_NOTICE)
    return documents.create_document(
        actor=actor,
        review=review,
        kind=kind,
        subject=subject if needs_subject else None,
        **fields,
    )
