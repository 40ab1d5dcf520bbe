"""Two demo reviews modelled on the seed documents: a 述职评议 of 12 officials in two forms
(seed 001), already announced and in 调查/初评; and a 履职评议 of nine department heads plus
the 工作评议 of one unit (seed 003), in preparation with its plan awaiting approval."""

from datetime import date

from django.db import transaction

from subjects.files import in_memory
from subjects.models import Official, Unit, User

from . import services
from .models import LeadershipPosition, Review, ReviewKind, SubjectForm
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


@transaction.atomic
def seed_duty_review(office, chair) -> None:
    title = "2025年度县人大常委会任命人员述职评议"
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
        **_timetable(2025, (4, 5, 8, 9, 12)),
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


def seed() -> None:
    office, chair = _users("office", "council")
    seed_duty_review(office, chair)
    seed_performance_review(office)
