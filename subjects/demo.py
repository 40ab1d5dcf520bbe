"""Demo accounts, one per role, and a roster of about 40 officials in 22 units, for
`make run` and the browser tests. Later apps seed their own parts (`<app>/demo.py`).
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from .models import (
    CompositionMember,
    Gender,
    Official,
    OfficialStatus,
    Unit,
    UnitCategory,
    User,
    UserRole,
)
from .roles import Role

DEMO_PASSWORD = "pingyi-demo-2026"  # noqa: S105  (published demo login)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    organization: str
    position: str
    phone: str
    roles: tuple[str, ...]
    superuser: bool = False


DEMO_USERS = (
    DemoUser(
        "admin",
        "周志刚",
        "县人大常委会办公室",
        "评议办主任",
        "13800010001",
        (Role.OFFICE,),
        superuser=True,
    ),
    DemoUser(
        "office", "李晓燕", "县人大常委会办公室", "评议办工作人员", "13800010002", (Role.OFFICE,)
    ),
    DemoUser(
        "council",
        "张德明",
        "县人大常委会",
        "常务副主任、评议工作领导小组组长",
        "13800010003",
        (Role.COUNCIL, Role.COMMITTEE_MEMBER),
    ),
    DemoUser(
        "group",
        "陈立新",
        "县人大常委会法制工作委员会",
        "主任、第一评议工作组组长",
        "13800010004",
        (Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER),
    ),
    DemoUser(
        "member", "刘海燕", "县人大常委会", "常委会委员", "13800010005", (Role.COMMITTEE_MEMBER,)
    ),
    DemoUser("deputy", "王秀英", "马坝镇", "县人大代表", "13800010006", (Role.DEPUTY,)),
    DemoUser("official", "赵建华", "县自然资源局", "局长", "13800010007", (Role.OFFICIAL,)),
    DemoUser("official2", "孙丽", "县市场监督管理局", "局长", "13800010008", (Role.OFFICIAL,)),
)


@transaction.atomic
def seed_users() -> list[User]:
    users = []
    for spec in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "full_name": spec.full_name,
                "organization": spec.organization,
                "position": spec.position,
                "phone": spec.phone,
                "is_active": True,
                "is_staff": spec.superuser,
                "is_superuser": spec.superuser,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        UserRole.objects.filter(user=user).exclude(role__in=spec.roles).delete()
        for role in spec.roles:
            UserRole.objects.get_or_create(user=user, role=role)
        users.append(user)
    return users


def login_table() -> str:
    width = max(len(spec.username) for spec in DEMO_USERS)
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}，也可用手机号登录）："]
    for spec in DEMO_USERS:
        roles = "、".join(Role(role).label for role in spec.roles)
        admin = "，可进入管理后台" if spec.superuser else ""
        lines.append(f"  {spec.username:<{width}}  {spec.phone}  {spec.full_name}  {roles}{admin}")
    return "\n".join(lines)


# Committee members who sit in working groups and vote; they log in with the demo password
# but are not listed among the one-per-role demo logins.
EXTRA_MEMBERS = (
    ("member01", "黄国平", "县人大常委会", "常委会副主任", (Role.COUNCIL, Role.COMMITTEE_MEMBER)),
    ("member02", "吴淑芬", "县人大常委会", "常委会副主任", (Role.COUNCIL, Role.COMMITTEE_MEMBER)),
    (
        "member03",
        "徐建军",
        "县人大常委会财政经济工作委员会",
        "主任",
        (Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER),
    ),
    (
        "member04",
        "马春兰",
        "县人大常委会社会建设工作委员会",
        "主任",
        (Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER),
    ),
    (
        "member05",
        "胡志强",
        "县人大常委会",
        "常委会委员",
        (Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER),
    ),
    (
        "member06",
        "郭丽萍",
        "县人大常委会",
        "常委会委员",
        (Role.GROUP_MEMBER, Role.COMMITTEE_MEMBER),
    ),
    ("member07", "何文斌", "县人大常委会", "常委会委员", (Role.COMMITTEE_MEMBER,)),
    ("member08", "罗晓东", "县人大常委会", "常委会委员", (Role.COMMITTEE_MEMBER,)),
)

G, C, P, S, V, T = (
    UnitCategory.GOVERNMENT,
    UnitCategory.COURT,
    UnitCategory.PROCURATORATE,
    UnitCategory.SUPERVISION,
    UnitCategory.VERTICAL,
    UnitCategory.TOWNSHIP,
)
# (unit, short name, category, liaison committee)
DEMO_UNITS = (
    ("县人民政府", "县政府", G, "办公室"),
    ("县发展和改革委员会", "发改委", G, "财政经济工作委员会"),
    ("县教育局", "教育局", G, "教育科学文化卫生工作委员会"),
    ("县公安局", "公安局", G, "法制工作委员会"),
    ("县民政局", "民政局", G, "社会建设工作委员会"),
    ("县司法局", "司法局", G, "法制工作委员会"),
    ("县财政局", "财政局", G, "财政经济工作委员会"),
    ("县人力资源和社会保障局", "人社局", G, "社会建设工作委员会"),
    ("县自然资源局", "自然资源局", G, "城乡建设环境保护工作委员会"),
    ("县住房和城乡建设局", "住建局", G, "城乡建设环境保护工作委员会"),
    ("县交通运输局", "交通运输局", G, "城乡建设环境保护工作委员会"),
    ("县农业农村局", "农业农村局", G, "农业农村工作委员会"),
    ("县卫生健康委员会", "卫健委", G, "教育科学文化卫生工作委员会"),
    ("县应急管理局", "应急管理局", G, "法制工作委员会"),
    ("县市场监督管理局", "市场监管局", G, "财政经济工作委员会"),
    ("县统计局", "统计局", G, "财政经济工作委员会"),
    ("县民族宗教事务局", "民宗局", G, "社会建设工作委员会"),
    ("县人民法院", "法院", C, "法制工作委员会"),
    ("县人民检察院", "检察院", P, "法制工作委员会"),
    ("县监察委员会", "监委", S, "法制工作委员会"),
    ("市生态环境局本县分局", "生态环境分局", V, "城乡建设环境保护工作委员会"),
    ("马坝镇", "马坝镇", T, "农业农村工作委员会"),
)

T18 = "第十八届"
T17 = "第十七届"
# (name, gender, unit, post, appointed_on, in_post_since, term, login)
DEMO_OFFICIALS = (
    ("林国栋", "M", "县人民政府", "副县长", date(2021, 10, 20), date(2021, 10, 20), T18, None),
    ("陈雅琴", "F", "县人民政府", "副县长", date(2022, 1, 12), date(2022, 1, 12), T18, None),
    ("唐晓燕", "F", "县人民法院", "副院长", date(2020, 6, 28), date(2020, 6, 28), T17, None),
    ("吴银国", "M", "县人民法院", "立案庭庭长", date(2019, 12, 26), date(2019, 12, 26), T17, None),
    (
        "戴永明",
        "M",
        "县人民法院",
        "民事审判第二庭庭长",
        date(2021, 3, 30),
        date(2021, 3, 30),
        T18,
        None,
    ),
    ("彭佳琪", "F", "县人民法院", "审判员", date(2022, 8, 25), date(2022, 8, 25), T18, None),
    ("伍光辉", "M", "县人民检察院", "副检察长", date(2020, 9, 24), date(2020, 9, 24), T17, None),
    ("郑洲", "M", "县人民检察院", "检察员", date(2021, 6, 22), date(2021, 6, 22), T18, None),
    ("戚玉柱", "M", "县人民检察院", "检察员", date(2021, 6, 22), date(2021, 6, 22), T18, None),
    (
        "钱喆",
        "M",
        "县人民检察院",
        "第一检察部主任",
        date(2023, 2, 21),
        date(2023, 2, 21),
        T18,
        None,
    ),
    ("金鑫", "M", "县发展和改革委员会", "主任", date(2020, 4, 28), date(2020, 4, 28), T17, None),
    (
        "蒋学文",
        "M",
        "县人力资源和社会保障局",
        "局长",
        date(2019, 8, 29),
        date(2019, 8, 29),
        T17,
        None,
    ),
    ("朱志玉", "M", "县应急管理局", "局长", date(2021, 1, 15), date(2021, 1, 15), T18, None),
    ("贾厚余", "M", "县民族宗教事务局", "局长", date(2020, 11, 26), date(2020, 11, 26), T17, None),
    ("胡培中", "M", "县统计局", "局长", date(2021, 2, 25), date(2021, 2, 25), T18, None),
    (
        "赵建华",
        "M",
        "县自然资源局",
        "局长",
        date(2020, 12, 29),
        date(2020, 12, 29),
        T17,
        "official",
    ),
    (
        "孙丽",
        "F",
        "县市场监督管理局",
        "局长",
        date(2021, 4, 27),
        date(2021, 4, 27),
        T18,
        "official2",
    ),
    ("周文韬", "M", "县教育局", "局长", date(2022, 3, 30), date(2022, 3, 30), T18, None),
    ("王海鹰", "M", "县公安局", "局长", date(2021, 12, 28), date(2021, 12, 28), T18, None),
    ("李秀梅", "F", "县民政局", "局长", date(2020, 7, 30), date(2020, 7, 30), T17, None),
    ("邓志刚", "M", "县司法局", "局长", date(2022, 6, 29), date(2022, 6, 29), T18, None),
    ("曾宪平", "M", "县财政局", "局长", date(2019, 10, 30), date(2019, 10, 30), T17, None),
    ("许卫东", "M", "县住房和城乡建设局", "局长", date(2021, 8, 27), date(2021, 8, 27), T18, None),
    ("冯建新", "M", "县交通运输局", "局长", date(2022, 9, 28), date(2022, 9, 28), T18, None),
    ("韩玉珺", "F", "县农业农村局", "局长", date(2021, 5, 26), date(2021, 5, 26), T18, None),
    ("谭晓华", "F", "县卫生健康委员会", "主任", date(2020, 3, 26), date(2020, 3, 26), T17, None),
    ("陆昇", "M", "县发展和改革委员会", "副主任", date(2023, 4, 26), date(2023, 4, 26), T18, None),
    ("杨赟", "M", "县财政局", "副局长", date(2022, 11, 30), date(2022, 11, 30), T18, None),
    ("梁玥", "F", "县教育局", "副局长", date(2023, 6, 28), date(2023, 6, 28), T18, None),
    ("程堃", "M", "县公安局", "副局长", date(2022, 12, 27), date(2022, 12, 27), T18, None),
    ("宋德胜", "M", "县监察委员会", "副主任", date(2021, 11, 25), date(2021, 11, 25), T18, None),
    ("魏红霞", "F", "县监察委员会", "委员", date(2022, 4, 27), date(2022, 4, 27), T18, None),
    ("姚立平", "M", "县自然资源局", "副局长", date(2022, 7, 27), date(2022, 7, 27), T18, None),
    ("廖国强", "M", "县应急管理局", "副局长", date(2023, 8, 30), date(2023, 8, 30), T18, None),
    (
        "高翀",
        "M",
        "县人民法院",
        "刑事审判庭庭长",
        date(2023, 12, 27),
        date(2023, 12, 27),
        T18,
        None,
    ),
    ("田秀兰", "F", "县人民检察院", "检察员", date(2024, 3, 27), date(2024, 3, 27), T18, None),
    (
        "潘建业",
        "M",
        "县住房和城乡建设局",
        "副局长",
        date(2024, 6, 26),
        date(2024, 6, 26),
        T18,
        None,
    ),
    ("袁志华", "M", "马坝镇", "镇长", date(2022, 1, 18), date(2022, 1, 18), T18, None),
    ("邹文静", "F", "县民政局", "副局长", date(2021, 9, 29), date(2021, 9, 29), T18, None),
    ("石磊", "M", "县统计局", "副局长", date(2020, 5, 27), date(2020, 5, 27), T17, None),
)


@transaction.atomic
def seed_members() -> None:
    for username, name, organization, position, roles in EXTRA_MEMBERS:
        number = 13800020000 + int(username[-2:])
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "full_name": name,
                "organization": organization,
                "position": position,
                "phone": str(number),
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for role in roles:
            UserRole.objects.get_or_create(user=user, role=role)


@transaction.atomic
def seed_roster() -> None:
    units = {}
    for name, short, category, committee in DEMO_UNITS:
        units[name], _ = Unit.objects.update_or_create(
            name=name,
            defaults={"short_name": short, "category": category, "liaison_committee": committee},
        )
    logins = {u.username: u for u in User.objects.filter(username__in=["official", "official2"])}
    for name, gender, unit, post, appointed, since, term, login in DEMO_OFFICIALS:
        Official.objects.update_or_create(
            name=name,
            unit=units[unit],
            defaults={
                "gender": Gender(gender),
                "post": post,
                "appointed_on": appointed,
                "in_post_since": since,
                "term": term,
                "status": OfficialStatus.SERVING,
                "user": logins.get(login) if login else None,
            },
        )
    # The head of 自然资源局 also organises his unit's 工作评议 (seed 003).
    if "official" in logins:
        units["县自然资源局"].contacts.add(logins["official"])


# The standing committee of the current term: quorum and thresholds count all of them.
COMPOSITION = (
    ("council", "常务副主任"),
    ("member01", "副主任"),
    ("member02", "副主任"),
    ("group", "委员"),
    ("member", "委员"),
    ("member03", "委员"),
    ("member04", "委员"),
    ("member05", "委员"),
    ("member06", "委员"),
    ("member07", "委员"),
    ("member08", "委员"),
)


@transaction.atomic
def seed_composition(term: str = "第十八届") -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[c[0] for c in COMPOSITION])}
    for order, (username, title) in enumerate(COMPOSITION):
        CompositionMember.objects.update_or_create(
            user=users[username], term=term, defaults={"title": title, "order": order}
        )


def seed() -> None:
    seed_users()
    seed_members()
    seed_roster()
    seed_composition()
