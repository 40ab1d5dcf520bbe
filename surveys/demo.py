"""Phase 2 demo data (调查/初评) for the three demo reviews of reviews/demo.py:

- 2025 述职评议 (its meeting is over): a closed deputies' questionnaire answered with slips and
  on paper, a closed public questionnaire through the open link (a few answers flagged as
  suspicious repeats), each working group's 座谈会/访谈/视察 with findings, every 调查报告 heard
  by the 主任会议, and all twelve 述职报告 accepted and distributed before the meeting.
- 2026 法院、检察院 述职评议 (meeting today): a closed questionnaire, the group's activities and
  findings, reports heard, 述职报告 distributed — so members can read them in the meeting.
- 2026 履职评议 (in preparation): a deputies' questionnaire open now, sent to every deputy's
  account (log in as `deputy` to answer it) and open to the public, with answers coming in.

Everything goes through the services; only history is written directly where a service
would rightly refuse it today (dates in the past: the questionnaire windows, the report
deadline and distribution of 2025). Each review is skipped once it has a questionnaire.
"""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from reviews.demo import COURT_TITLE, DUTY_2025_TITLE, _users
from reviews.models import Review, Subject
from subjects.files import in_memory
from subjects.roles import Role, has_role

from . import builder, distribution, duty_reports, findings, investigation
from .invitations import issue_batch
from .models import (
    Activity,
    DutyReportSettings,
    QuestionKind,
    Questionnaire,
    Response,
)
from .responses import load_structure, parse_answers, submit_open, submit_with_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERFORMANCE_TITLE_PREFIX = "2026年度政府组成部门负责人履职评议"

# How each subject tends to be rated: weights of 满意 / 基本满意 / 不满意. Subjects not named
# get the default; 蒋学文 was graded 不满意 in the 2025 meeting, 朱志玉 基本满意.
LEANINGS = {"蒋学文": (2, 4, 5), "朱志玉": (4, 5, 2), "戴永明": (4, 4, 2)}
DEFAULT_LEANING = (8, 3, 1)


def _aware(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


# --- questionnaires ------------------------------------------------------------------------------


def _deputies_questionnaire(office, review, *, title, audience="deputies", closes_in_days=1):
    now = timezone.now()
    questionnaire = builder.create_questionnaire(
        actor=office,
        review=review,
        title=title,
        intro=(
            "本问卷不记录填写人姓名，请根据您平时了解的情况如实评价。每个邀请码只能填写一次。"
            "评议结果将作为常委会评议的重要参考。"
        ),
        audience=audience,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=closes_in_days),
    )
    first = questionnaire.sections.get()
    builder.update_section(
        actor=office,
        section=first,
        title="满意度测评",
        description="请对每位评议对象的各项评议内容作出评价。",
    )
    builder.add_question(
        actor=office,
        section=first,
        kind=QuestionKind.MATRIX,
        text="请对以下评议对象逐项评价",
        allow_unknown=True,
    )
    second = builder.add_section(actor=office, questionnaire=questionnaire, title="意见和建议")
    builder.add_question(
        actor=office,
        section=second,
        kind=QuestionKind.SINGLE,
        text="您通过哪些渠道了解评议对象的工作？",
        options=["参加视察、调研活动", "日常工作接触", "新闻媒体报道", "群众反映"],
        required=False,
    )
    builder.add_question(
        actor=office,
        section=second,
        kind=QuestionKind.TEXT,
        text="您对评议对象有哪些意见和建议？",
        required=False,
    )
    return builder.publish_questionnaire(actor=office, questionnaire=questionnaire)


SUGGESTIONS = (
    "建议进一步简化审批流程，推行“一窗受理”，减少群众跑腿次数。",
    "希望加强基层调研，多听取乡镇和村（社区）的意见。",
    "办理代表建议要注重实效，不能只重答复、不重落实。",
    "窗口服务态度有明显改善，但部分工作人员业务不够熟练。",
    "建议加大政务公开力度，及时公布重点工作进展。",
    "执法检查中存在以罚代管现象，建议规范自由裁量权。",
)


def _answer_data(structure, rng: random.Random) -> QueryDict:
    """One plausible respondent: each subject's rating follows its leaning, with a little
    spread across dimensions and the odd 不了解."""
    data = QueryDict(mutable=True)
    for section in structure:
        for view in section.questions:
            question = view.question
            if question.kind == QuestionKind.MATRIX:
                for subject, cells in view.rows:
                    weights = LEANINGS.get(subject.display_name, DEFAULT_LEANING)
                    for cell in cells:
                        if question.allow_unknown and rng.random() < 0.04:
                            data[cell.name] = "unknown"
                            continue
                        data[cell.name] = rng.choices(
                            ["satisfied", "basic", "dissatisfied"], weights=weights
                        )[0]
            elif question.kind == QuestionKind.SINGLE and rng.random() < 0.8:
                data[view.name] = str(rng.randrange(len(question.options)))
            elif question.kind == QuestionKind.TEXT and rng.random() < 0.25:
                data[view.name] = rng.choice(SUGGESTIONS)
    return data


def _rows(structure, rng):
    rows, errors = parse_answers(structure, _answer_data(structure, rng))
    assert not errors, errors
    return rows


def _answer_with_slips(office, questionnaire, *, issued: int, answered: int, rng):
    _, pairs = issue_batch(
        actor=office,
        questionnaire=questionnaire,
        label=f"县人大代表 {issued} 名（邀请条）",
        delivery="slips",
        count=issued,
    )
    structure = load_structure(questionnaire)
    for _, code in pairs[:answered]:
        submit_with_code(questionnaire, code, _rows(structure, rng))


def _move_window(questionnaire, opens_on: date, closes_on: date):
    """History: the window the questionnaire really ran in, and the day answers came in."""
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        opens_at=_aware(opens_on),
        closes_at=_aware(closes_on, 18),
        published_at=_aware(opens_on - timedelta(days=2)),
        frozen_at=_aware(opens_on, 10),
    )
    days = (closes_on - opens_on).days + 1
    for n, pk in enumerate(
        Response.objects.filter(questionnaire=questionnaire).values_list("pk", flat=True)
    ):
        Response.objects.filter(pk=pk).update(submitted_on=opens_on + timedelta(days=n % days))


def _public_questionnaire(office, review, rng, *, answered: int, suspicious: int):
    now = timezone.now()
    questionnaire = builder.create_questionnaire(
        actor=office,
        review=review,
        title=f"{review.year}年度述职评议社会公众满意度调查",
        intro="欢迎您对下列单位负责人的工作作出评价。问卷匿名填写，每台设备只能填写一次。",
        audience="public",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        open_link=True,
    )
    section = questionnaire.sections.get()
    builder.update_section(actor=office, section=section, title="总体评价")
    builder.add_question(
        actor=office,
        section=section,
        kind=QuestionKind.MATRIX,
        text="您对以下评议对象的总体评价",
        dimensions=[],
        allow_unknown=True,
    )
    questionnaire = builder.publish_questionnaire(actor=office, questionnaire=questionnaire)
    structure = load_structure(questionnaire)
    for n in range(answered):
        submit_open(questionnaire, _rows(structure, rng), suspicious=n >= answered - suspicious)
    return questionnaire


# --- investigation -------------------------------------------------------------------------------

ACTIVITIES = (
    (
        "forum",
        "县人大常委会第二会议室",
        "县人大代表 12 人，服务对象代表 8 人，乡镇人大主席 3 人",
        "召开座谈会听取对评议对象履职情况的意见。与会人员普遍肯定了“放管服”改革成效，"
        "同时反映部分审批事项办理时限偏长、基层站所人员力量不足、对代表建议答复后跟踪落实不够等问题。",
    ),
    (
        "inspection",
        "城区及马坝镇、石梁镇",
        "评议工作组成员 4 人，县人大代表 5 人",
        "实地察看重点项目建设和窗口服务情况，随机询问办事群众 20 余人。窗口服务总体规范，"
        "但部分事项仍需群众多次往返，个别站所执法记录不完整。",
    ),
    (
        "interview",
        "评议对象所在单位",
        "单位班子成员、中层干部、一般干部职工共 15 人",
        "分别进行个别访谈，了解评议对象履职尽责、作风建设和廉洁自律情况。"
        "多数干部反映评议对象工作思路清晰，但在抓落实、促整改方面力度不够。",
    ),
)

FINDINGS = (
    (
        "duty",
        "forum",
        "serious",
        "部分行政审批事项办理时限超过承诺时限，群众反映“跑多次”问题仍然存在。",
    ),
    ("proposals", "documents", "minor", "对代表建议重答复、轻落实，个别建议承诺事项未按期办结。"),
    ("law", "inspection", "serious", "基层执法案卷记录不完整，行政处罚自由裁量基准执行不统一。"),
    ("conduct", "interview", "minor", "深入基层调研不够，对基层反映的困难和问题研究解决不及时。"),
)


def _investigate(
    review,
    office,
    *,
    day: date,
    heard_on: date | None,
    session: str,
    chair,
    leave_last_unheard=False,
):
    """Each group's activities, two to four findings for most of its subjects, and a 调查报告
    per subject submitted and (when heard_on is given) heard by the 主任会议."""
    groups = list(
        review.groups.select_related("leader").prefetch_related("members").order_by("order", "id")
    )
    for g, group in enumerate(groups):
        subjects = list(Subject.objects.filter(review=review, group=group).order_by("order", "id"))
        if not subjects:
            continue
        # Records are written by a group member with a working-group account, else the office.
        people = [group.leader, *group.members.all()]
        author = next((p for p in people if p and has_role(p, Role.GROUP_MEMBER)), office)
        activities = []
        for a, (kind, place, participants, notes) in enumerate(ACTIVITIES):
            activities.append(
                investigation.create_activity(
                    actor=author,
                    review=review,
                    group=group,
                    subjects=subjects,
                    kind=kind,
                    held_on=day + timedelta(days=7 * a + 2 * g),
                    place=place,
                    participants=participants,
                    notes=notes,
                )
            )
        by_kind = {activity.kind: activity for activity in activities}
        for s, subject in enumerate(subjects):
            count = 4 if subject.display_name in LEANINGS else 2 + (s % 2)
            for category, source, severity, text in FINDINGS[:count]:
                findings.create_finding(
                    actor=author,
                    subject=subject,
                    category=category,
                    source=source,
                    activity=by_kind.get(source),
                    severity=severity,
                    description=text,
                )
            investigation.save_report(
                actor=author,
                subject=subject,
                version=0,
                overview=(
                    f"评议工作组通过座谈会、专题视察、个别访谈等方式，对{subject.display_name}"
                    f"同志（{subject.unit_name}{subject.post}）的履职情况进行了调查。"
                ),
                achievements=(
                    "能够认真贯彻执行法律法规和县委、县人大常委会的决议决定，"
                    "主动接受人大监督，重点工作推进有力。"
                ),
                problems=investigation.problems_text(subject),
                suggestions="建议对照问题清单逐项整改，建立长效机制，按期向常委会报告整改情况。",
            )
            investigation.submit_report(actor=author, subject=subject)
            if heard_on and not (leave_last_unheard and subject == subjects[-1]):
                investigation.hear_report(
                    actor=chair, subject=subject, heard_on=heard_on, session=session
                )
    # The activities happened on their own days; the records were written then too.
    Activity.objects.filter(review=review).update(created_at=_aware(day, 17))


# --- 述职报告 ------------------------------------------------------------------------------------

REPORT_HTML = """<html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 1.6; }}
h1 {{ font-size: 22pt; text-align: center; }}
</style></head><body>
<h1>述职报告</h1>
<p style="text-align:center">{name}（{unit}{post}）</p>
<p>主任、各位副主任、秘书长、各位委员：</p>
<p>根据县人大常委会安排，现将本人任职以来的履职情况报告如下，请予评议。</p>
<p>一、认真学习，不断提高依法履职能力。</p>
<p>二、围绕中心，扎实推进各项重点工作。</p>
<p>三、自觉接受人大监督，认真办理代表建议。</p>
<p>四、存在的不足和今后的努力方向。</p>
</body></html>"""


def _report_pdf(subject) -> bytes:
    from weasyprint import HTML

    return HTML(
        string=REPORT_HTML.format(
            name=subject.display_name, unit=subject.unit_name, post=subject.post
        )
    ).write_pdf()


def _duty_reports(office, review, *, due_on: date, distributed_on: date):
    """Every subject's 述职报告 uploaded, accepted and distributed; the deadline and the
    distribution are dated as they happened."""
    for subject in Subject.objects.filter(review=review).select_related("official__user"):
        uploader = getattr(subject.official, "user", None) or office
        duty_reports.upload_version(
            actor=uploader,
            subject=subject,
            uploaded=in_memory(_report_pdf(subject), f"{subject.display_name}述职报告.pdf"),
        )
        duty_reports.accept_report(actor=office, report=subject.duty_report)
    DutyReportSettings.objects.update_or_create(
        review=review,
        defaults={
            "due_at": _aware(due_on, 18),
            "distributed_at": _aware(distributed_on, 10),
            "distributed_by": office,
        },
    )


# --- the reviews --------------------------------------------------------------------------------


def seed_duty_2025(office, chair) -> None:
    review = Review.objects.filter(title=DUTY_2025_TITLE).first()
    if review is None or review.questionnaires.exists():
        return
    rng = random.Random(2025)
    deputies = _deputies_questionnaire(
        office, review, title="2025年度述职评议人大代表满意度测评问卷"
    )
    _answer_with_slips(office, deputies, issued=160, answered=118, rng=rng)
    distribution.set_paper_received(actor=office, questionnaire=deputies, received=36)
    structure = load_structure(deputies)
    for _ in range(34):
        distribution.enter_paper(actor=office, questionnaire=deputies, rows=_rows(structure, rng))
    builder.close_questionnaire(actor=office, questionnaire=deputies)
    _move_window(deputies, date(2025, 6, 10), date(2025, 7, 10))
    public = _public_questionnaire(office, review, rng, answered=64, suspicious=3)
    builder.close_questionnaire(actor=office, questionnaire=public)
    _move_window(public, date(2025, 6, 10), date(2025, 7, 31))
    _investigate(
        review,
        office,
        day=date(2025, 6, 16),
        heard_on=date(2025, 9, 2),
        session="县十八届人大常委会第四十二次主任会议",
        chair=chair,
    )
    _duty_reports(office, review, due_on=date(2025, 8, 29), distributed_on=date(2025, 9, 8))


def seed_court(office, chair) -> None:
    review = Review.objects.filter(title=COURT_TITLE).first()
    if review is None or review.questionnaires.exists():
        return
    rng = random.Random(2026)
    today = timezone.localdate()
    questionnaire = _deputies_questionnaire(
        office, review, title="县人民法院、县人民检察院工作人员满意度测评问卷"
    )
    _answer_with_slips(office, questionnaire, issued=80, answered=57, rng=rng)
    builder.close_questionnaire(actor=office, questionnaire=questionnaire)
    _move_window(questionnaire, today - timedelta(days=45), today - timedelta(days=25))
    _investigate(
        review,
        office,
        day=today - timedelta(days=50),
        heard_on=today - timedelta(days=12),
        session="县十八届人大常委会第四十九次主任会议",
        chair=chair,
        # One report still waits for the 主任会议: the council's 待听取 list has an item.
        leave_last_unheard=True,
    )
    _duty_reports(
        office, review, due_on=today - timedelta(days=10), distributed_on=today - timedelta(days=6)
    )


def seed_performance(office) -> None:
    review = Review.objects.filter(title__startswith=PERFORMANCE_TITLE_PREFIX).first()
    if review is None or review.questionnaires.exists():
        return
    rng = random.Random(2027)
    questionnaire = _deputies_questionnaire(
        office,
        review,
        title="2026年度履职评议人大代表和服务对象满意度问卷",
        closes_in_days=21,
    )
    distribution.issue_accounts(
        actor=office,
        questionnaire=questionnaire,
        label="全体县人大代表（账号）",
        users=list(distribution.active_deputies()),
    )
    _answer_with_slips(office, questionnaire, issued=60, answered=23, rng=rng)
    distribution.set_open_link(actor=office, questionnaire=questionnaire, enabled=True)


@transaction.atomic
def seed() -> None:
    office, chair = _users("office", "council")
    seed_duty_2025(office, chair)
    seed_court(office, chair)
    seed_performance(office)
