"""Three demo reviews modelled on the seed documents, so `make run` shows every phase so far:

- 2025年度县人大常委会任命人员述职评议 (seed 001): 12 officials in two forms, announced, and
  through its 评议会议 “县十八届人大常委会第二十六次会议” of 18 September 2025 — ten members and
  a deputy checked in, 询问 answered, and a 民主测评 cast on phones plus the deputies' paper
  ballots, closed, sealed, published and made public: one subject graded 不满意, one 基本满意.
- 2026年度政府组成部门负责人履职评议暨自然资源工作评议 (seed 003): nine department heads plus the
  work of one unit, in preparation with its plan awaiting approval.
- 2026年度县人民法院、县人民检察院工作人员述职评议: five officials of the court and the
  procuratorate, with today's meeting “县十八届人大常委会第三十一次会议” under way — nine members
  and a deputy checked in (`member`, `council` and `group` among them), the first subject
  reporting, two 询问 queued, and the 民主测评 created for the chair (`council`) to open live.

Everything goes through the services, as the office would click it; each step returns early
when its review (or meeting) exists, so `seed_demo` may run any number of times.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from subjects.files import in_memory
from subjects.models import Official, Unit, User

from . import meetings, services
from .models import (
    Choice,
    LeadershipPosition,
    Meeting,
    Review,
    ReviewKind,
    SubjectForm,
    VoterGroup,
)
from .workflow import Phase

PLAN_HTML = """<html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 1.6; }}
h1 {{ font-size: 22pt; text-align: center; }}
</style></head><body>
<h1>{title}实施方案</h1>
<p>为深入贯彻《中华人民共和国各级人民代表大会常务委员会监督法》，加强对本级人大常委会任命的国家机关工作人员的任后监督，经主任会议研究，决定开展{title}。</p>
<p>一、评议对象：任现职满三年以上的政府组成部门负责人，以及法院、检察院经常委会任命的工作人员。</p>
<p>二、评议内容：依法行政、履行职责、执行人大决议决定和办理代表建议、接受人大监督、办理群众来信来访、廉洁自律。</p>
<p>三、方法步骤：准备、调查初评、评议会议、整改四个阶段。</p>
</body></html>"""


def _plan_pdf(title: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=PLAN_HTML.format(title=title)).write_pdf()


def _users(*usernames):
    found = {u.username: u for u in User.objects.filter(username__in=usernames)}
    return [found[name] for name in usernames]


def _officials(names):
    found = {o.name: o for o in Official.objects.filter(name__in=names).select_related("unit")}
    return [found[name] for name in names]


def _timetable(year: int, months: tuple[int, int, int, int, int]) -> dict:
    """Four consecutive phases from (start month, …) of `year`, months may run into the next."""

    def day(month: int, end: bool = False) -> date:
        y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
        if end:
            from calendar import monthrange

            return date(y, m, monthrange(y, m)[1])
        return date(y, m, 1)

    a, b, c, d, e = months
    return {
        "prepare_starts_on": day(a),
        "prepare_ends_on": day(b - 1, end=True),
        "investigate_starts_on": day(b),
        "investigate_ends_on": day(c - 1, end=True),
        "meeting_starts_on": day(c),
        "meeting_ends_on": day(d - 1, end=True),
        "rectify_starts_on": day(d),
        "rectify_ends_on": day(e, end=True),
    }


# Seed 001: 调查 / 初评 over the summer, the review meeting in September, then 整改.
DUTY_2025_TITLE = "2025年度县人大常委会任命人员述职评议"
DUTY_2025_TIMETABLE = _timetable(2025, (4, 5, 9, 10, 12))
SHANGHAI = ZoneInfo("Asia/Shanghai")


@transaction.atomic
def seed_duty_review(office, chair) -> None:
    title = DUTY_2025_TITLE
    if Review.objects.filter(title=title).exists():
        return
    review = services.create_review(
        actor=office,
        kind=ReviewKind.DUTY,
        year=2025,
        title=title,
        term="第十八届",
        announcement=(
            "经县委同意，县人大常委会对任现职满三年的政府组成部门负责人和法院、检察院经常委会"
            "任命的工作人员共 12 名开展述职评议，其中现场述职 6 名、书面述职 6 名。欢迎社会各界"
            "通过问卷、来信等方式反映意见建议。"
        ),
        **DUTY_2025_TIMETABLE,
    )
    leader, deputy1, deputy2, group, member03 = _users(
        "council", "member01", "member02", "group", "member03"
    )
    services.save_leadership(
        actor=office,
        review=review,
        members=[
            (leader, LeadershipPosition.LEADER, "常委会常务副主任"),
            (deputy1, LeadershipPosition.DEPUTY, "常委会副主任"),
            (deputy2, LeadershipPosition.DEPUTY, "常委会副主任"),
            (group, LeadershipPosition.MEMBER, "法制工作委员会主任"),
            (member03, LeadershipPosition.MEMBER, "财政经济工作委员会主任"),
        ],
    )
    members = dict(
        zip(
            ["group", "member03", "member04", "member05", "member06"],
            _users("group", "member03", "member04", "member05", "member06"),
            strict=True,
        )
    )
    first = services.save_group(
        actor=office,
        review=review,
        name="第一评议工作组",
        leader=deputy1,
        members=[members["group"], members["member05"]],
    )
    second = services.save_group(
        actor=office,
        review=review,
        name="第二评议工作组",
        leader=deputy2,
        members=[members["member03"], members["member06"]],
    )
    third = services.save_group(
        actor=office,
        review=review,
        name="第三评议工作组",
        leader=members["group"],
        members=[members["member04"]],
    )
    onsite = _officials(["林国栋", "唐晓燕", "伍光辉", "金鑫", "蒋学文", "朱志玉"])
    written = _officials(["贾厚余", "孙丽", "吴银国", "戴永明", "郑洲", "戚玉柱"])
    services.enrol_officials(
        actor=office, review=review, officials=onsite[:3], form=SubjectForm.ONSITE, group=first
    )
    services.enrol_officials(
        actor=office, review=review, officials=onsite[3:], form=SubjectForm.ONSITE, group=second
    )
    services.enrol_officials(
        actor=office, review=review, officials=written, form=SubjectForm.WRITTEN, group=third
    )
    services.upload_plan(
        actor=office, review=review, uploaded=in_memory(_plan_pdf(title), f"{title}实施方案.pdf")
    )
    services.submit_plan(actor=office, review=review)
    services.decide_plan(
        actor=chair, review=review, approve=True, comment="同意。请按时间安排组织实施。"
    )
    services.publish_announcement(actor=office, review=review)
    services.advance_phase(actor=office, review=review)
    assert Review.objects.get(pk=review.pk).phase == Phase.INVESTIGATE


@transaction.atomic
def seed_performance_review(office) -> None:
    title = "2026年度政府组成部门负责人履职评议暨自然资源工作评议"
    if Review.objects.filter(title=title).exists():
        return
    review = services.create_review(
        actor=office,
        kind=ReviewKind.DUTY,
        year=2026,
        title=title,
        term="第十八届",
        **_timetable(2026, (11, 13, 16, 17, 20)),
    )
    leader, deputy1, group = _users("council", "member01", "group")
    services.save_leadership(
        actor=office,
        review=review,
        members=[
            (leader, LeadershipPosition.LEADER, "常委会常务副主任"),
            (deputy1, LeadershipPosition.DEPUTY, "常委会副主任"),
            (group, LeadershipPosition.MEMBER, "法制工作委员会主任"),
        ],
    )
    member04, member05, member06 = _users("member04", "member05", "member06")
    first = services.save_group(
        actor=office, review=review, name="第一履职评议组", leader=deputy1, members=[member05]
    )
    services.save_group(
        actor=office,
        review=review,
        name="第二履职评议组",
        leader=group,
        members=[member04, member06],
    )
    heads = _officials(
        ["赵建华", "周文韬", "王海鹰", "李秀梅", "邓志刚", "曾宪平", "许卫东", "冯建新", "谭晓华"]
    )
    services.enrol_officials(
        actor=office, review=review, officials=heads[:6], form=SubjectForm.ONSITE, group=first
    )
    # Three heads still wait for a group: the dashboard shows that as a blocker.
    services.enrol_officials(
        actor=office, review=review, officials=heads[6:], form=SubjectForm.WRITTEN
    )
    services.enrol_units(
        actor=office,
        review=review,
        units=[Unit.objects.get(name="县自然资源局")],
        form=SubjectForm.ONSITE,
        group=first,
    )
    services.upload_plan(
        actor=office, review=review, uploaded=in_memory(_plan_pdf(title), f"{title}实施方案.pdf")
    )
    services.submit_plan(actor=office, review=review)


# --- the 2025 review's meeting: over, its poll published and public ---------------------------

# Checked in at the door in this order (all composition members but member08), then the deputy.
MEMBERS_2025 = (
    "council",
    "member01",
    "member02",
    "group",
    "member",
    "member03",
    "member04",
    "member05",
    "member06",
    "member07",
)

S, B, D = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED
MARK = {"S": S, "B": B, "D": D}

# Per subject: the electronic marks of the voters in check-in order (MEMBERS_2025, then the
# deputy), and the deputies' hand-counted paper ballots (满意, 基本满意, 不满意) — five valid.
# With 80% for 满意 and "over 50% 不满意": 蒋学文 10 of 16 不满意 → 不满意; 朱志玉 11 of 16
# satisfied (68.8%) → 基本满意; everyone else 满意.
VOTES_2025 = {
    "林国栋": ("SSSBSSSSBSS", (4, 1, 0)),
    "唐晓燕": ("SSBSSSBSSSS", (3, 2, 0)),
    "伍光辉": ("SBSSSSSSBSB", (3, 1, 1)),
    "金鑫": ("SSBSSDSSBSS", (2, 3, 0)),
    "蒋学文": ("DBDDSDDBDDB", (0, 2, 3)),
    "朱志玉": ("SBDSBDSBSDB", (1, 2, 2)),
    "贾厚余": ("SSSSBSSSSSB", (3, 2, 0)),
    "孙丽": ("SBSSSSBSSSS", (4, 1, 0)),
    "吴银国": ("SSSBSSSSSBS", (2, 2, 1)),
    "戴永明": ("BSSSSSSBSSS", (3, 1, 1)),
    "郑洲": ("SSBSSSSSSBD", (3, 2, 0)),
    "戚玉柱": ("SSSSSBSSSSS", (4, 1, 0)),
}
PAPER_2025 = {"issued": 6, "returned": 6, "invalid": 0, "blank": 1}  # 5 valid

# (subject, asker, question, answer, follow-up promised in writing)
INQUIRIES_2025 = (
    (
        "林国栋",
        "member02",
        "去年卫星遥感监测发现我县新增违法占用耕地图斑 31 处，目前整改到位多少处？对耕地"
        "“非农化”“非粮化”问题，县政府下一步有哪些硬措施？",
        "31 处图斑中已有 27 处拆除复耕并通过市级核查，其余 4 处涉及历史遗留问题，已制定"
        "“一地一策”方案，年底前全部整改到位。下一步全面落实田长制，建立县、乡、村三级巡查"
        "和月度通报制度，对新增违法占地“零容忍”，发现一处、查处一处。",
        False,
    ),
    (
        "林国栋",
        "member04",
        "部分山区村组夏季仍存在季节性缺水，农村饮用水水质检测也不够及时。农村饮水安全巩固"
        "提升工程进展如何？山区分散供水点的问题什么时候能够解决？",
        "今年县财政和上级资金共投入 2860 万元，实施 12 处集中供水工程改造和管网延伸，覆盖"
        "4.3 万人，年底前完工。山区 37 个分散供水点将分两年实施水源提升和净化消毒设施改造，"
        "水质检测由每年一次增至丰水期、枯水期各一次。分年度实施计划和资金安排会后书面报告"
        "县人大常委会。",
        True,
    ),
    (
        "金鑫",
        "member03",
        "不少企业反映项目审批环节多、涉企收费不够透明。发改委在优化营商环境方面采取了哪些"
        "措施？工程建设项目审批时限压缩到多少个工作日？",
        "我们牵头推行“一窗受理、并联审批”，对社会投资小型项目实行“拿地即开工”，一般工程"
        "建设项目全流程审批时限由 120 个工作日压缩到 45 个工作日以内；涉企收费目录清单已在"
        "县政府网站和政务服务大厅公开，清单之外一律不得收费，并开通了营商环境投诉专线。",
        False,
    ),
)


def _marks(poll, votes: dict[str, tuple[str, tuple]], voter_index: int) -> dict[str, str]:
    items = poll.items.select_related("subject")
    return {str(item.pk): MARK[votes[item.subject.display_name][0][voter_index]] for item in items}


@transaction.atomic
def seed_duty_meeting(office, chair) -> None:
    """The 2025 review's meeting, held and voted on: the results are published and public."""
    review = Review.objects.filter(title=DUTY_2025_TITLE).first()
    if review is None or Meeting.objects.filter(review=review).exists():
        return
    if review.phase not in (Phase.INVESTIGATE, Phase.MEETING):
        return  # moved on by hand in an older demo database: leave it be
    deputy = User.objects.get(username="deputy")
    if review.phase == Phase.INVESTIGATE:
        # The meeting was held in September: the office set its dates and let the deputies
        # who attend vote as a group of their own, before the rules freeze at the meeting.
        services.update_review(actor=office, review=review, data=DUTY_2025_TIMETABLE)
        services.update_rules(actor=office, review=review, data={"deputies_vote": True})
        review = services.advance_phase(actor=office, review=review)
    meeting = meetings.create_meeting(
        actor=office,
        review=review,
        session_name="县十八届人大常委会第二十六次会议",
        starts_at=datetime(2025, 9, 18, 9, 0, tzinfo=SHANGHAI),
        place="县人大常委会机关第一会议室",
    )
    voters = [*_users(*MEMBERS_2025), deputy]
    for user in voters:
        meetings.check_in(actor=office, meeting=meeting, user=user)
    subjects = {item.subject.display_name: item.subject for item in meeting.agenda.all()}
    for name, asker, question, answer, follow_up in INQUIRIES_2025:
        if meeting.current_subject_id != subjects[name].pk:
            meetings.set_current_subject(actor=office, meeting=meeting, subject=subjects[name])
        (member,) = _users(asker)
        inquiry = meetings.queue_inquiry(
            actor=member, meeting=meeting, subject=subjects[name], question=question
        )
        meetings.call_inquiry(actor=chair, inquiry=inquiry)
        meetings.record_inquiry(
            actor=office, inquiry=inquiry, answer=answer, follow_up_promised=follow_up
        )
    poll = meetings.create_poll(actor=office, meeting=meeting)
    poll = meetings.open_poll(actor=chair, poll=poll)
    for index, user in enumerate(voters):
        voter = meetings.voter_for_user(poll, user)
        if voter is not None:  # the deputy votes only under the review's rules
            meetings.cast_ballot(poll=poll, voter=voter, marks=_marks(poll, VOTES_2025, index))
    poll = meetings.close_poll(actor=chair, poll=poll)
    if poll.rules_snapshot.get("deputies_vote"):
        items = {
            item.subject.display_name: item.pk for item in poll.items.select_related("subject")
        }
        meetings.record_paper(
            actor=office,
            poll=poll,
            group=VoterGroup.DEPUTY,
            **PAPER_2025,
            counts={
                items[name]: dict(zip((S, B, D), paper, strict=True))
                for name, (_, paper) in VOTES_2025.items()
            },
        )
    poll = meetings.publish_poll(actor=chair, poll=poll)
    meetings.make_poll_public(actor=office, poll=poll)
    meetings.set_current_subject(actor=office, meeting=meeting, subject=None)


# --- the third review: today's meeting, its poll ready for the chair to open -----------------

COURT_TITLE = "2026年度县人民法院、县人民检察院工作人员述职评议"
# All composition members but member04 and member08: the quorum (6 of 11) is met.
MEMBERS_TODAY = (
    "council",
    "member01",
    "member02",
    "group",
    "member",
    "member03",
    "member05",
    "member06",
    "member07",
)


def _timetable_around(today: date) -> dict:
    """准备 three months back, 调查 until the end of last month, the meeting this month."""
    m = today.month
    return _timetable(today.year, (m - 3, m - 2, m, m + 1, m + 3))


@transaction.atomic
def seed_court_review(office, chair) -> None:
    title = COURT_TITLE
    if Review.objects.filter(title=title).exists():
        return
    today = timezone.localdate()
    review = services.create_review(
        actor=office,
        kind=ReviewKind.DUTY,
        year=2026,
        title=title,
        term="第十八届",
        announcement=(
            "经县委同意，县人大常委会对县人民法院、县人民检察院经常委会任命的工作人员共 5 名"
            "开展述职评议，其中现场述职 3 名、书面述职 2 名。欢迎社会各界通过来信、来访等方式"
            "反映意见建议。"
        ),
        **_timetable_around(today),
    )
    services.update_rules(actor=office, review=review, data={"deputies_vote": True})
    leader, deputy1, group, member05, member07 = _users(
        "council", "member02", "group", "member05", "member07"
    )
    services.save_leadership(
        actor=office,
        review=review,
        members=[
            (leader, LeadershipPosition.LEADER, "常委会常务副主任"),
            (deputy1, LeadershipPosition.DEPUTY, "常委会副主任"),
            (group, LeadershipPosition.MEMBER, "法制工作委员会主任"),
        ],
    )
    working_group = services.save_group(
        actor=office,
        review=review,
        name="司法评议工作组",
        leader=group,
        members=[member05, member07],
    )
    # The court's and procuratorate's officials of this term not reviewed in 2025, and
    # 戴永明, whose 书面述职 last year raised questions the group follows up.
    onsite = _officials(["高翀", "钱喆", "彭佳琪"])
    written = _officials(["田秀兰", "戴永明"])
    services.enrol_officials(
        actor=office,
        review=review,
        officials=onsite,
        form=SubjectForm.ONSITE,
        group=working_group,
    )
    services.enrol_officials(
        actor=office,
        review=review,
        officials=written,
        form=SubjectForm.WRITTEN,
        group=working_group,
    )
    services.upload_plan(
        actor=office, review=review, uploaded=in_memory(_plan_pdf(title), f"{title}实施方案.pdf")
    )
    services.submit_plan(actor=office, review=review)
    services.decide_plan(actor=chair, review=review, approve=True, comment="同意。")
    services.publish_announcement(actor=office, review=review)
    review = services.advance_phase(actor=office, review=review)  # → 调查 / 初评
    review = services.advance_phase(actor=office, review=review)  # → 评议会议
    meeting = meetings.create_meeting(
        actor=office,
        review=review,
        session_name="县十八届人大常委会第三十一次会议",
        starts_at=timezone.make_aware(datetime.combine(today, time(9, 0))),
        place="县人大常委会机关第一会议室",
    )
    for user in [*_users(*MEMBERS_TODAY), *_users("deputy")]:
        meetings.check_in(actor=office, meeting=meeting, user=user)
    first = meeting.agenda.select_related("subject").first().subject
    meetings.set_current_subject(actor=office, meeting=meeting, subject=first)
    subjects = {item.subject.display_name: item.subject for item in meeting.agenda.all()}
    member01, member03 = _users("member01", "member03")
    called = meetings.queue_inquiry(
        actor=member01,
        meeting=meeting,
        subject=subjects["高翀"],
        question=(
            "近年来我县电信网络诈骗案件明显增多，不少受害群众是老年人。县法院在审理这类案件时"
            "如何加大追赃挽损力度，切实维护群众的财产权益？"
        ),
    )
    meetings.queue_inquiry(
        actor=member03,
        meeting=meeting,
        subject=subjects["钱喆"],
        question=(
            "认罪认罚从宽制度适用率逐年提高。检察机关如何保障犯罪嫌疑人的诉讼权利、确保认罪"
            "认罚的自愿性，防止“一认了之”？"
        ),
    )
    meetings.call_inquiry(actor=chair, inquiry=called)
    meetings.create_poll(actor=office, meeting=meeting)


def seed() -> None:
    office, chair = _users("office", "council")
    seed_duty_review(office, chair)
    seed_performance_review(office)
    seed_duty_meeting(office, chair)
    seed_court_review(office, chair)
