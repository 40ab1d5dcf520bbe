"""Demo accounts, one per role, for `make run` and the browser tests.

Later issues extend `seed_demo` with rosters, reviews, questionnaires and meetings.
"""

from dataclasses import dataclass

from django.db import transaction

from .models import User, UserRole
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
