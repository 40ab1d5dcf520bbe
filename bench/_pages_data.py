"""Data for bench/pages.py: one review with realistic volume, a roster of 2,000 officials and
two questionnaires for the results page.

Runs inside the bench environment (DJANGO_SETTINGS_MODULE=bench._django_settings and the
scratch DATABASE_URL that bench._runner.django_site() yields), as a subprocess from the
repository root:

    python -m bench._pages_data            # create the data; print one JSON line
    python -m bench._pages_data queries    # count the SQL queries of each page (JSON line)

`create` writes, with bulk_create (a few seconds): 100 units with 20 officials each, an office
user with an authenticated database session, 45 users for the working groups and the
leadership group, and one 述职评议 (created by reviews.services.create_review, which adds its
rules and the 6 default dimensions) with 10 working groups (a leader and 3 members each), a
leadership group of 5 and 200 enrolled subjects. Then, with COPY (no view, no bulk_create
of model instances: ~20 s), two published and frozen questionnaires of that review, each
with one section holding a matrix question over the first 20 subjects × the first 3 of the
review's dimensions (allowing 不了解) and an optional free-text question:

- "large": 10,000 responses (invitation, open link with some marked suspicious, paper), each
  answering all 60 cells = 600,000 matrix answers, and 2,000 text answers;
- "small": 12 responses (720 matrix answers, 3 text answers), to show that the results page
  runs the same number of queries whatever the volume.

Both tables are ANALYZEd afterwards, as autovacuum would have done on a live server. The JSON
line carries the session key, the review id, the page URLs and the names the pages must show.

`queries` renders each page twice with the Django test client (force_login as the office user)
and counts the queries of the second request; it needs "testserver" in ALLOWED_HOSTS. For the
results page it counts both questionnaires (`results_queries`, `results_small_queries`).

Logs go to stderr; the JSON line is the only thing on stdout.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
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

# The results page (issue 4: "10,000 answers × 20 subjects"): 10,000 responses, each rating
# the first 20 subjects on 3 dimensions.
RESULTS_SUBJECTS = 20
RESULTS_DIMENSIONS = 3
RESULTS_RESPONSES = 10_000
RESULTS_TEXT_EVERY = 5  # every 5th response also leaves a free-text answer
SMALL_RESPONSES = 12  # the second questionnaire: a handful, above k
RESULTS_TITLE = "人大代表对被评议对象满意度测评问卷"
SMALL_TITLE = "服务对象满意度测评问卷（试填）"
PAPER_RECEIVED_EXTRA = 25  # paper forms received but not yet keyed in

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


_TEXTS = (
    "希望进一步提高办事效率，减少群众跑腿次数。",
    "政务公开做得不错，建议加强基层调研。",
    "对代表建议的答复比较及时，但落实情况还要跟进。",
    "窗口服务态度有明显改善。",
    "建议加大对重点项目的监督力度，及时公开进展。",
    "个别工作人员作风还需改进，希望加强教育管理。",
)


def _copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples in column order) into table; return how many."""
    count = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:  # psycopg 3, through Django's cursor wrapper
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _questionnaire(review, office, subjects, dimensions, title, responses, rng) -> dict:
    """One published, frozen questionnaire (matrix + text) with `responses` answered forms."""
    from django.db import connection
    from django.utils import timezone

    from surveys.models import Channel, Question, QuestionKind, Questionnaire, Section

    now = timezone.now()
    questionnaire = Questionnaire.objects.create(
        review=review,
        title=title,
        audience="deputies",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
        published_at=now - timedelta(days=21),
        frozen_at=now - timedelta(days=20),
        open_link=True,
        created_by=office,
    )
    section = Section.objects.create(questionnaire=questionnaire, title="满意度测评", order=1)
    matrix = Question.objects.create(
        questionnaire=questionnaire,
        section=section,
        kind=QuestionKind.MATRIX,
        text="请对以下评议对象逐项评价",
        allow_unknown=True,
        order=1,
    )
    matrix.subjects.set(subjects)
    matrix.dimensions.set(dimensions)
    text = Question.objects.create(
        questionnaire=questionnaire,
        section=section,
        kind=QuestionKind.TEXT,
        text="您对被评议对象还有哪些意见和建议？",
        required=False,
        order=2,
    )

    # Channels: mostly invitations, some open link (1 in 10 of those suspicious), some paper.
    channels = [Channel.INVITATION] * 6 + [Channel.OPEN] * 2 + [Channel.PAPER] * 2
    days = [now.date() - timedelta(days=d) for d in range(2, 20)]
    responses_rows = []
    for i in range(responses):
        channel = channels[i % len(channels)]
        responses_rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                questionnaire.pk,
                channel,
                rng.choice(days),
                channel == Channel.OPEN and i % 50 == 6,
                office.pk if channel == Channel.PAPER else None,
            )
        )
    paper = sum(1 for row in responses_rows if row[2] == Channel.PAPER)
    questionnaire.paper_received = paper + (PAPER_RECEIVED_EXTRA if responses > 100 else 0)
    questionnaire.save(update_fields=["paper_received"])

    # Each subject has its own leaning, so the rates differ from row to row.
    scale = ("satisfied", "basic", "dissatisfied", "unknown")
    weights = {
        subject.pk: (60 + 3 * (n % 9), 25 - (n % 5), 5 + 2 * (n % 7), 3 + (n % 4))
        for n, subject in enumerate(subjects)
    }
    width = len(dimensions)
    cells = [(s.pk, d, dimension.pk) for s in subjects for d, dimension in enumerate(dimensions)]
    # One choice per subject × response × dimension, drawn with that subject's weights.
    per_subject = {pk: rng.choices(scale, weights[pk], k=responses * width) for pk in weights}

    def answer_rows():
        for i, row in enumerate(responses_rows):
            response_id = row[0]
            for subject_id, d, dimension_id in cells:
                choice = per_subject[subject_id][i * width + d]
                yield (
                    response_id, questionnaire.pk, matrix.pk, subject_id, dimension_id,
                    choice, None, "",
                )  # fmt: skip
            if i % RESULTS_TEXT_EVERY == 0:
                yield (
                    response_id, questionnaire.pk, text.pk, None, None,
                    "", None, f"{_TEXTS[i % len(_TEXTS)]}（第{i + 1}份）",
                )  # fmt: skip

    with connection.cursor() as cursor:
        _copy_rows(
            cursor,
            "surveys_response",
            ("id", "questionnaire_id", "channel", "submitted_on", "suspicious", "entered_by_id"),
            responses_rows,
        )
        answers = _copy_rows(
            cursor,
            "surveys_answer",
            (
                "response_id",
                "questionnaire_id",
                "question_id",
                "subject_id",
                "dimension_id",
                "choice",
                "number",
                "text",
            ),  # fmt: skip
            answer_rows(),
        )
    return {"id": questionnaire.pk, "responses": responses, "answers": answers}


def create_results(review, office, subjects) -> dict:
    """The two questionnaires of the results page (see the module docstring)."""
    from django.db import connection, transaction

    started = time.monotonic()
    rng = random.Random(4)
    chosen = subjects[:RESULTS_SUBJECTS]
    dimensions = list(review.dimensions.order_by("order", "id")[:RESULTS_DIMENSIONS])
    with transaction.atomic():
        large = _questionnaire(
            review, office, chosen, dimensions, RESULTS_TITLE, RESULTS_RESPONSES, rng
        )
        small = _questionnaire(
            review, office, chosen, dimensions, SMALL_TITLE, SMALL_RESPONSES, rng
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_answer")
    log(
        f"questionnaires: {large['responses']:,} responses / {large['answers']:,} answers and "
        f"{small['responses']} / {small['answers']} in {time.monotonic() - started:.1f} s"
    )
    return {
        "results_questionnaire": large,
        "results_small_questionnaire": small,
        "results_dimensions": [d.name for d in dimensions],
        "results_subject_names": [s.display_name for s in chosen],
    }


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

    results = create_results(review, office, subjects)

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
        ("results_url", "surveys:questionnaire_results", [results["results_questionnaire"]["id"]]),
        (
            "results_small_url",
            "surveys:questionnaire_results",
            [results["results_small_questionnaire"]["id"]],
        ),
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
        **results,
    }


def queries() -> dict:
    """SQL queries per page: the second of two requests, so one-off caches are warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reviews.models import Review
    from subjects.models import User
    from surveys.models import Questionnaire

    office = User.objects.get(username=OFFICE_USERNAME)
    review = Review.objects.get()
    large = Questionnaire.objects.get(title=RESULTS_TITLE)
    small = Questionnaire.objects.get(title=SMALL_TITLE)
    client = Client()
    client.force_login(office, backend=AUTH_BACKEND)
    result = {}
    for key, url in (
        ("dashboard", reverse("reviews:detail", args=[review.pk])),
        ("roster", reverse("roster_officials")),
        ("results", reverse("surveys:questionnaire_results", args=[large.pk])),
        ("results_small", reverse("surveys:questionnaire_results", args=[small.pk])),
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
