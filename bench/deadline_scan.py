"""The hourly deadline scan (rectification/obligations.py, R18) over a large database.

100,000 open obligations (plans and reports of 10,000 rectification cases spread over 50
reviews, five rounds each; official subjects with their accounts, unit subjects with two
contacts each), of which 1,000 have reached a reminder stage (due in the next seven days or
overdue up to three weeks). Measured, on PostgreSQL with the production settings:

1. One scan at 09:00 local time (reminders, notifications, the office's daily digest): the
   median of three runs, the reminders and notifications reset in between.
2. Two scans at once (threads, each with its own connection), after a reset: every due
   obligation reminded exactly once, every recipient notified once, one digest per office user.
3. The floor, in the same run: the same scan after deleting the 99,000 obligations that are not
   due — what the scan costs with only its due rows present. seconds / floor near 1 means the
   cost grows with the due rows, not with all rows (the partial index on open obligations'
   due dates).

Target: one scan ≤ 0.5 s. Timings are reported, not asserted; the exit status is 1 only for a
correctness failure (a due obligation not reminded, a duplicate) or a bench that could not run.
From the repository root (DATABASE_URL: an admin URL; a scratch database is created and dropped):

    .venv/bin/python bench/deadline_scan.py

The last line of stdout is one JSON object; logs go to stderr. Knobs: BENCH_OBLIGATIONS (default
100000; one in a hundred is due), BENCH_EXPLAIN=1 (EXPLAIN ANALYZE of the scan's queries to
stderr), BENCH_PROFILE=1 (cProfile of one scan to stderr).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# `python bench/deadline_scan.py` puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._runner import (  # noqa: E402
    _manage,
    bench_database,
    django_env,
    emit_json,
    log,
    print_table,
    time_limit,
)

OBLIGATIONS = int(os.environ.get("BENCH_OBLIGATIONS", "100000"))
DUE_EVERY = 100  # one obligation in a hundred has reached a reminder stage
REVIEWS = 50
ROUNDS = 5  # per case; each round has a plan and a report obligation
OFFICIAL_SUBJECTS = 150  # per review; the other subjects of a review are units
REPEATS = 3
TARGET_S = 0.5
BATCH = 5000

COLUMNS = [
    ("run", "run", ""),
    ("obligations", "obligations", ","),
    ("due", "due", ","),
    ("reminders", "notified", ","),
    ("notifications", "notifications", ","),
    ("duplicates", "duplicates", ","),
    ("seconds", "seconds", ".3f"),
]


def create_data(today) -> dict:
    """Bulk-insert the world; returns counts."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from rectification.documents import default_organ
    from rectification.models import (
        Document,
        DocumentKind,
        Obligation,
        ObligationKind,
        Opinion,
        RectificationCase,
        RectificationRound,
    )
    from reviews.models import Review, Subject, SubjectForm
    from reviews.services import create_review
    from reviews.workflow import Phase
    from subjects.models import Official, Unit, User, UserRole
    from subjects.roles import Role

    cases_wanted = OBLIGATIONS // (2 * ROUNDS)
    per_review = -(-cases_wanted // REVIEWS)
    units_per_review = per_review - OFFICIAL_SUBJECTS
    started = time.monotonic()
    password = make_password(None)
    with transaction.atomic():
        office = User.objects.bulk_create(
            User(username=f"office{i}", full_name=f"办公室{i}", password=password) for i in range(3)
        )
        UserRole.objects.bulk_create(UserRole(user=u, role=Role.OFFICE) for u in office)
        organ = default_organ()
        home = Unit.objects.create(name="示范县人民政府", category="government")
        accounts = User.objects.bulk_create(
            User(username=f"official{i}", full_name=f"述职人{i}", password=password)
            for i in range(OFFICIAL_SUBJECTS)
        )
        officials = Official.objects.bulk_create(
            Official(
                name=f"述职人{i:03d}",
                gender="M",
                unit=home,
                post="局长",
                appointed_on=today.replace(year=today.year - 3),
                in_post_since=today.replace(year=today.year - 3),
                term="第十八届",
                status="serving",
                user=user,
            )
            for i, user in enumerate(accounts)
        )
        units = Unit.objects.bulk_create(
            Unit(name=f"县第{i}局", category="government") for i in range(units_per_review)
        )
        contacts = User.objects.bulk_create(
            User(username=f"contact{i}", full_name=f"联络员{i}", password=password)
            for i in range(2 * len(units))
        )
        Through = Unit.contacts.through
        Through.objects.bulk_create(
            Through(unit_id=unit.pk, user_id=contacts[2 * i + k].pk)
            for i, unit in enumerate(units)
            for k in (0, 1)
        )
        reviews = []
        for r in range(REVIEWS):
            review = create_review(
                actor=office[0],
                kind="duty",
                year=2000 + r,
                title=f"{2000 + r}年度述职评议",
                term="x",
            )
            reviews.append(review)
        Review.objects.filter(pk__in=[r.pk for r in reviews]).update(phase=Phase.RECTIFY)
        subjects = Subject.objects.bulk_create(
            [
                Subject(
                    review=review,
                    official=officials[i] if i < OFFICIAL_SUBJECTS else None,
                    unit=None if i < OFFICIAL_SUBJECTS else units[i - OFFICIAL_SUBJECTS],
                    form=SubjectForm.WRITTEN,
                    display_name=f"对象{r:02d}-{i:03d}",
                    unit_name="单位",
                    order=i,
                )
                for r, review in enumerate(reviews)
                for i in range(per_review)
            ][:cases_wanted],
            batch_size=BATCH,
        )
        opinions = Opinion.objects.bulk_create(
            (
                Opinion(review_id=s.review_id, subject=s, title="评议意见", updated_by=office[0])
                for s in subjects
            ),
            batch_size=BATCH,
        )
        documents = Document.objects.bulk_create(
            (
                Document(
                    review_id=o.review_id,
                    kind=DocumentKind.OPINION,
                    subject_id=o.subject_id,
                    opinion=o,
                    organ=organ,
                    title="评议意见",
                    created_by=office[0],
                )
                for o in opinions
            ),
            batch_size=BATCH,
        )
        received = today - timedelta(days=40)
        cases = RectificationCase.objects.bulk_create(
            (
                RectificationCase(
                    review_id=d.review_id,
                    subject_id=d.subject_id,
                    opinion_id=d.opinion_id,
                    document=d,
                    received_on=received,
                )
                for d in documents
            ),
            batch_size=BATCH,
        )
        rounds = RectificationRound.objects.bulk_create(
            (
                RectificationRound(case=c, number=n, started_on=received)
                for c in cases
                for n in range(1, ROUNDS + 1)
            ),
            batch_size=BATCH,
        )
        case_of = {c.pk: c for c in cases}

        def due_on(index):
            block = index // DUE_EVERY
            if index % DUE_EVERY == block % 2:  # plans and reports in turn, due in 7 days …
                return today + timedelta(days=7 - block % 28)  # … or up to 20 days ago
            return today + timedelta(days=30 + index % 300)  # not yet

        Obligation.objects.bulk_create(
            (
                Obligation(
                    review_id=case_of[round_.case_id].review_id,
                    subject_id=case_of[round_.case_id].subject_id,
                    round=round_,
                    kind=kind,
                    due_on=due_on(2 * n + k),
                )
                for n, round_ in enumerate(rounds)
                for k, kind in enumerate((ObligationKind.PLAN, ObligationKind.REPORT))
            ),
            batch_size=BATCH,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Obligation.objects.count()
    log(f"created {total:,} obligations in {time.monotonic() - started:.1f} s")
    return {"obligations": total, "office": len(office)}


def reset() -> None:
    from django.db import connection

    from rectification.models import DigestRun, Reminder
    from subjects.models import Notification

    tables = [m._meta.db_table for m in (Reminder, Notification, DigestRun)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


def counts() -> dict:
    from django.db.models import Count

    from rectification.models import DigestRun, Reminder
    from subjects.models import Notification

    groups = (
        Notification.objects.values("recipient_id", "title", "body", "url")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return {
        "reminders": Reminder.objects.count(),
        "notifications": Notification.objects.count(),
        "digest_runs": DigestRun.objects.count(),
        "repeated": sum(g["n"] - 1 for g in groups),
    }


def timed_scan(now) -> tuple[float, object]:
    from rectification.obligations import scan

    started = time.perf_counter()
    result = scan(now=now)
    return time.perf_counter() - started, result


def measure(now, label: str, obligations: int) -> dict:
    times, result = [], None
    for _ in range(REPEATS):
        reset()
        seconds, result = timed_scan(now)
        times.append(seconds)
    after = counts()
    return {
        "run": label,
        "obligations": obligations,
        "due": result.due,
        "notified": result.notified,
        "notifications": after["notifications"],
        "duplicates": after["repeated"],
        "seconds": statistics.median(times),
        "digest": result.digest,
    }


def concurrent(now, obligations: int, expected_notifications: int) -> dict:
    from django.db import connection

    from rectification.obligations import scan

    reset()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(30)
            results.append(scan(now=now))
        except BaseException as error:  # reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seconds = time.perf_counter() - started
    after = counts()
    return {
        "run": "two scans at once",
        "obligations": obligations,
        "due": max((r.due for r in results), default=0),
        "notified": sum(r.notified for r in results),
        "notifications": after["notifications"],
        "duplicates": after["notifications"] - expected_notifications + after["repeated"],
        "seconds": seconds,
        "errors": errors,
        "digests": sum(r.digest is not None for r in results),
        "reminder_rows": after["reminders"],
    }


def run() -> dict:
    from datetime import datetime

    from django.db import connection
    from django.utils import timezone

    from rectification.models import Obligation
    from rectification.obligations import horizon

    today = timezone.localdate()
    now = timezone.make_aware(datetime(today.year, today.month, today.day, 9, 0))
    data = create_data(today)
    total = data["obligations"]
    timed_scan(now)  # warm-up: imports, URL resolver, query plans
    if os.environ.get("BENCH_EXPLAIN"):  # the plans of the scan's queries, to stderr
        from django.test.utils import CaptureQueriesContext

        reset()
        with CaptureQueriesContext(connection) as captured:
            timed_scan(now)
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if query["sql"].lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    log(f"{query['time']} s\n{query['sql'][:300]}\n{plan}")
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        from rectification.obligations import scan

        reset()
        profile = cProfile.Profile()
        profile.runcall(scan, now=now)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    full = measure(now, "one scan, all rows", total)
    both = concurrent(now, total, full["notifications"])
    # The floor: only the due rows left.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Obligation._meta.db_table} WHERE due_on > %s", [horizon(today)]
        )
        cursor.execute(f"ANALYZE {Obligation._meta.db_table}")
    floor = measure(now, "floor: due rows only", Obligation.objects.count())
    rows = [full, both, floor]
    print_table(rows, COLUMNS)
    ratio = full["seconds"] / floor["seconds"] if floor["seconds"] else None
    print()
    print(f"scan {full['seconds']:.3f} s (target ≤ {TARGET_S} s), floor {floor['seconds']:.3f} s, ")
    verdict = "with the due rows, not with all rows" if ratio < 2 else "with ALL rows"
    print(f"ratio {ratio:.2f}: the scan's cost grows {verdict}")
    line = f"two scans at once: {both['notified']} reminders, {both['digests']} digest"
    print(f"{line}, errors {both['errors'] or 'none'}")
    expected_due = -(-total // DUE_EVERY)
    ok = (
        full["due"] == full["notified"] == expected_due
        and both["notified"] == expected_due
        and both["reminder_rows"] == expected_due
        and both["duplicates"] == 0
        and both["digests"] == 1
        and not both["errors"]
        and full["duplicates"] == 0
    )
    return {
        "obligations": total,
        "due": full["due"],
        "notified": full["notified"],
        "notifications": full["notifications"],
        "duplicates": both["duplicates"] + full["duplicates"],
        "seconds": round(full["seconds"], 4),
        "floor_seconds": round(floor["seconds"], 4),
        "ratio": round(ratio, 3) if ratio else None,
        "concurrent_notified": both["notified"],
        "concurrent_seconds": round(both["seconds"], 4),
        "target_seconds": TARGET_S,
        "within_target": full["seconds"] <= TARGET_S,
        "correct": ok,
    }


def main() -> int:
    with (
        time_limit(1200),
        bench_database(prefix="pingyi_bench_scan") as db_url,
        tempfile.TemporaryDirectory(prefix="pingyi_bench_") as tmp,
    ):
        env = django_env(db_url, Path(tmp))
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        import django

        django.setup()
        from django.db import connections

        try:
            result = run()
        finally:
            connections.close_all()  # or the scratch database cannot be dropped
    emit_json(result)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
