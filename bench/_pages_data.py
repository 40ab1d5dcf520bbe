"""Data for bench/pages.py: one review with realistic volume and a roster of 2,000 officials.

Runs inside the bench environment (DJANGO_SETTINGS_MODULE=bench._django_settings and the
scratch DATABASE_URL that bench._runner.django_site() yields), as a subprocess from the
repository root:

    python -m bench._pages_data            # create the data; print one JSON line
    python -m bench._pages_data queries    # count the SQL queries of each page (JSON line)

`create` writes, with bulk_create (a few seconds): 100 units with 20 officials each, an office
user with an authenticated database session, 45 users for the working groups and the
leadership group, and one 述职评议 (created by reviews.services.create_review, which adds its
rules and the 6 default dimensions) with 10 working groups (a leader and 3 members each), a
leadership group of 5 and 200 enrolled subjects. Its JSON line carries the session key, the
review id, the two page URLs and the names the pages must show.

`queries` renders each page twice with the Django test client (force_login as the office user)
and counts the queries of the second request; it needs "testserver" in ALLOWED_HOSTS.

Logs go to stderr; the JSON line is the only thing on stdout.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta
from itertools import product

import django

UNITS = 100
OFFICIALS_PER_UNIT = 20
SUBJECTS = 200
GROUPS = 10
MEMBERS_PER_GROUP = 3
LEADERSHIP = 5
ROSTER_PAGE_SIZE = 50  # subjects.views.roster_officials paginates by 50

OFFICE_USERNAME = "bench_office"
AUTH_BACKEND = "subjects.auth.UsernameOrPhoneBackend"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
_GIVEN_1 = "建国志明海文立新晓春永红德亚丽伟华"
_GIVEN_2 = "军平辉东峰强涛斌杰勇敏静芳燕霞琳"
_BUREAUS = (
    "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
    "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "林业局", "城市管理局", "信访局", "数据资源局",
)  # fmt: skip
_OTHER_UNITS = (
    ("人民法院", "court"),
    ("人民检察院", "procuratorate"),
    ("监察委员会", "supervision"),
    ("税务局", "vertical"),
    ("气象局", "vertical"),
    ("烟草专卖局", "vertical"),
)
_PLACES = "东西南北中新安和平兴隆丰泰清河源山"
_POSTS = ("局长", "副局长", "副局长", "副局长", "党组成员", "总工程师", "总经济师")


def log(message: str) -> None:
    print(f"[pages-data] {message}", file=sys.stderr, flush=True)


def _names(count: int, rng: random.Random) -> list[str]:
    """count distinct three-character names (so no name is a substring of another)."""
    pool = ["".join(parts) for parts in product(_SURNAMES, _GIVEN_1, _GIVEN_2)]
    return rng.sample(pool, count)


def _unit_specs() -> list[tuple[str, str]]:
    """UNITS (name, category) pairs: bureaus, courts etc., then townships (镇街)."""
    specs = [(f"示范县{name}", "government") for name in _BUREAUS]
    specs += [(f"示范县{name}", category) for name, category in _OTHER_UNITS]
    towns = (f"{a}{b}镇" for a, b in product(_PLACES, _PLACES) if a != b)
    while len(specs) < UNITS:
        specs.append((next(towns), "township"))
    return specs[:UNITS]


def _users(User, UserRole, prefix: str, count: int, role: str, names: list[str]) -> list:
    from django.contrib.auth.hashers import make_password

    unusable = make_password(None)  # cheap; these users never log in
    users = User.objects.bulk_create(
        User(
            username=f"bench_{prefix}_{i:03d}",
            full_name=names[i],
            organization="示范县人大常委会",
            password=unusable,
        )
        for i in range(count)
    )
    UserRole.objects.bulk_create(UserRole(user=user, role=role) for user in users)
    return users


def create() -> dict:
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.urls import NoReverseMatch, reverse

    from reviews.models import (
        LeadershipMember,
        LeadershipPosition,
        Subject,
        SubjectForm,
        WorkingGroup,
    )
    from reviews.services import create_review
    from subjects.models import Official, OfficialStatus, Unit, User, UserRole
    from subjects.roles import Role
    from subjects.selectors import officials as roster_officials

    started = time.monotonic()
    rng = random.Random(2026)
    official_count = UNITS * OFFICIALS_PER_UNIT
    people = _names(official_count + GROUPS * (1 + MEMBERS_PER_GROUP) + LEADERSHIP + 1, rng)
    official_names, people = people[:official_count], people[official_count:]

    with transaction.atomic():
        if User.objects.filter(username=OFFICE_USERNAME).exists():
            raise SystemExit(f"{OFFICE_USERNAME} exists already: run against a fresh database")
        office = User.objects.create(
            username=OFFICE_USERNAME, full_name=people.pop(), organization="评议办"
        )
        office.set_unusable_password()
        office.save(update_fields=["password"])
        UserRole.objects.create(user=office, role=Role.OFFICE)

        units = Unit.objects.bulk_create(
            Unit(name=name, short_name=name.removeprefix("示范县")[:30], category=category)
            for name, category in _unit_specs()
        )
        base = date(2021, 9, 28)
        officials = Official.objects.bulk_create(
            Official(
                name=official_names[i],
                gender="M" if i % 3 else "F",
                unit=units[i // OFFICIALS_PER_UNIT],
                post=_POSTS[i % OFFICIALS_PER_UNIT % len(_POSTS)],
                appointed_on=base + timedelta(days=37 * (i % 40)),
                in_post_since=base + timedelta(days=37 * (i % 40)),
                term="第十八届" if i % 5 else "第十七届",
                status=OfficialStatus.LEFT if i % 50 == 49 else OfficialStatus.SERVING,
                phone=f"139{i:08d}",
            )
            for i in range(official_count)
        )
        log(f"{len(units)} units, {len(officials)} officials")

        leaders = _users(User, UserRole, "leader", GROUPS, Role.GROUP_MEMBER, people[:GROUPS])
        people = people[GROUPS:]
        member_count = GROUPS * MEMBERS_PER_GROUP
        members = _users(
            User, UserRole, "member", member_count, Role.GROUP_MEMBER, people[:member_count]
        )
        people = people[member_count:]
        council = _users(User, UserRole, "council", LEADERSHIP, Role.COUNCIL, people)

        review = create_review(
            actor=office, kind="duty", year=2026, title="2026年度述职评议", term="第十八届"
        )
        groups = WorkingGroup.objects.bulk_create(
            WorkingGroup(review=review, name=f"第{i + 1}评议工作组", leader=leaders[i], order=i)
            for i in range(GROUPS)
        )
        WorkingGroup.members.through.objects.bulk_create(
            WorkingGroup.members.through(workinggroup_id=group.pk, user_id=member.pk)
            for g, group in enumerate(groups)
            for member in members[g * MEMBERS_PER_GROUP : (g + 1) * MEMBERS_PER_GROUP]
        )
        positions = [LeadershipPosition.LEADER, LeadershipPosition.DEPUTY]
        positions += [LeadershipPosition.MEMBER] * (LEADERSHIP - 2)
        LeadershipMember.objects.bulk_create(
            LeadershipMember(
                review=review, user=user, position=position, title="常委会副主任", order=i
            )
            for i, (user, position) in enumerate(zip(council, positions, strict=True))
        )
        # Serving officials at an even stride: spread over all units and categories.
        serving = [o for o in officials if o.status == OfficialStatus.SERVING]
        chosen = serving[:: len(serving) // SUBJECTS][:SUBJECTS]
        per_group = SUBJECTS // GROUPS
        subjects = Subject.objects.bulk_create(
            Subject(
                review=review,
                official=official,
                form=SubjectForm.ONSITE if i % 4 == 0 else SubjectForm.WRITTEN,
                group=groups[i // per_group],
                display_name=official.name,
                unit_name=official.unit.name,
                post=official.post,
                order=i,
            )
            for i, official in enumerate(chosen)
        )
        if len(subjects) != SUBJECTS:
            raise SystemExit(f"enrolled {len(subjects)} subjects, not {SUBJECTS}")
        log(f"review {review.pk}: {len(subjects)} subjects, {len(groups)} groups")

    session = SessionStore()
    session["_auth_user_id"] = str(office.pk)
    session["_auth_user_backend"] = AUTH_BACKEND
    session["_auth_user_hash"] = office.get_session_auth_hash()
    session.save()

    roster_page = list(roster_officials()[:ROSTER_PAGE_SIZE])
    urls = {}
    for key, name, args in (
        ("dashboard_url", "reviews:detail", [review.pk]),
        ("roster_url", "roster_officials", []),
    ):
        try:
            urls[key] = reverse(name, args=args)
        except NoReverseMatch as exc:
            log(f"URL {name} does not exist yet: {exc}")
            urls[key] = None
    log(f"created in {time.monotonic() - started:.1f} s")
    return {
        "session_key": session.session_key,
        "review_id": review.pk,
        **urls,
        "subjects": len(subjects),
        "officials": len(officials),
        "units": len(units),
        "subject_names": [s.display_name for s in subjects],
        "roster_page_names": [o.name for o in roster_page],
    }


def queries() -> dict:
    """SQL queries per page: the second of two requests, so one-off caches are warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reviews.models import Review
    from subjects.models import User

    office = User.objects.get(username=OFFICE_USERNAME)
    review = Review.objects.get()
    client = Client()
    client.force_login(office, backend=AUTH_BACKEND)
    result = {}
    for key, url in (
        ("dashboard", reverse("reviews:detail", args=[review.pk])),
        ("roster", reverse("roster_officials")),
    ):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} returned {response.status_code} in the test client")
        result[f"{key}_queries"] = len(captured.captured_queries)
        log(f"{key}: {len(captured.captured_queries)} queries")
    return result


def main(argv: list[str]) -> int:
    django.setup()
    command = argv[0] if argv else "create"
    if command == "create":
        result = create()
    elif command == "queries":
        result = queries()
    else:
        raise SystemExit(f"unknown command {command!r}: use create or queries")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
