"""R18 fault drills of the deadline scan (rectification/obligations.py): reminders and the
office's daily digest are sent exactly once per recipient and stage

(a) when scans run concurrently at the due time (PostgreSQL),
(b) when a scan process is SIGKILLed in the middle of its transaction: nothing it did is
    committed and the next scan sends exactly one,
(c) when Redis was stopped across the due time: beat's task cannot run while the broker is
    down, so nothing is sent; the first scan after the restart, days late, sends the latest
    stage only, and the digest once — also with a real Celery worker on Redis.

The killed scan is a `scan_obligations` command run in a subprocess by a test-only wrapper
(written to tmp_path, not shipped) that sleeps after the rows are inserted, before the commit.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from rectification.models import DigestRun, Obligation, ObligationKind, Reminder
from rectification.obligations import DIGEST_TITLE, scan
from subjects.models import Notification
from tests.rectification import test_obligations as base
from tests.rectification.test_obligations import PLAN_DUE, at, digests, notified
from tests.reviews.test_secret_ballot import run_at_once

REPO = Path(__file__).resolve().parents[2]

# The world of test_obligations: two plans due on PLAN_DUE (an official's, a unit's).
office_team = base.office_team
rect = base.rect


def reminded(world) -> list:
    """Everyone who owes the plan: the official and the unit's active contacts."""
    return [world.official, *world.contacts]


def assert_once_each(world, titles_by_user=None):
    """Exactly one reminder per recipient per stage, and one digest per office user a day."""
    for user in reminded(world):
        titles = notified(user)
        assert len(titles) == len(set(titles)), titles
        if titles_by_user is not None:
            assert titles == titles_by_user
    for user in world.office:
        assert notified(user) == []  # plans are not the office's to send
        days = DigestRun.objects.count()
        assert len(digests(user)) <= days


# --- (a) concurrent scans -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_at_the_due_time_remind_each_recipient_once(requires_postgres, rect):
    outcomes, errors = run_at_once([lambda: scan(now=at(PLAN_DUE))] * 4)
    assert not errors, errors
    assert outcomes == ["ok"] * 4
    assert Reminder.objects.count() == 2  # one per plan
    for user in reminded(rect):
        assert notified(user) == ["整改方案今天到期"]
    # The digest of the day: exactly one run (nothing is overdue yet, so no notification).
    assert DigestRun.objects.count() == 1
    assert not Notification.objects.filter(title__startswith=DIGEST_TITLE).exists()

    # A week later, concurrently again: the overdue stage once, and the day's digest once.
    results = []
    outcomes, errors = run_at_once(
        [lambda: results.append(scan(now=at(PLAN_DUE + timedelta(days=7))))] * 4
    )
    assert not errors, errors
    assert sum(r.notified for r in results) == 2
    assert [r.digest for r in results if r.digest is not None] == [2]
    for user in reminded(rect):
        assert notified(user) == ["整改方案已逾期 7 天", "整改方案今天到期"]
    for user in rect.office:
        assert digests(user) == ["逾期事项汇总：2 项事项已逾期"]
    assert DigestRun.objects.count() == 2


# --- (b) a scan SIGKILLed mid-transaction ---------------------------------------------------------

PAUSED_SCAN = '''"""Test-only (written by test_reminder_faults): `scan_obligations --at …`
that stops after inserting its reminders and notifications, before its transaction commits."""
import os
import sys
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from rectification import obligations  # noqa: E402

_mail = obligations._mail
MARK = os.environ["PINGYI_TEST_SCAN_MARK"]


def paused_mail(notifications):
    _mail(notifications)
    if notifications:
        with open(MARK, "w") as mark:
            mark.write(str(len(notifications)))
        time.sleep(120)  # the test kills the process here, inside the transaction


obligations._mail = paused_mail
call_command("scan_obligations", at=sys.argv[1])
'''


def open_transactions() -> int:
    """Other sessions on the test database still inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
        )
        return cursor.fetchone()[0]


def wait_until(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@pytest.mark.django_db(transaction=True)
def test_a_scan_killed_mid_transaction_commits_nothing_and_the_next_sends_once(
    requires_postgres, rect, tmp_path
):
    (tmp_path / "paused_scan.py").write_text(PAUSED_SCAN, encoding="utf-8")
    mark = tmp_path / "inserted"
    log = tmp_path / "scan.log"
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
                f":{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "PINGYI_TEST_SCAN_MARK": str(mark),
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        }
    )
    when = PLAN_DUE + timedelta(days=7)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(tmp_path / "paused_scan.py"), f"{when:%Y-%m-%d} 09:00"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: mark.exists() or process.poll() is not None, 90, "the rows to be inserted", log
        )
        assert process.poll() is None, log.read_text(errors="replace")
        assert mark.read_text() == "3"  # official + two contacts, inserted but not committed
        assert not Reminder.objects.exists() and not Notification.objects.exists()

        # Meanwhile the hourly scan runs: the claimed rows are skipped, not waited for nor
        # doubled; the office's digest (which reads, and claims only its day) goes out.
        meanwhile = scan(now=at(when))
        assert (meanwhile.notified, meanwhile.digest) == (0, 2)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    wait_until(lambda: open_transactions() == 0, 30, "PostgreSQL to roll the killed scan back")
    assert not Reminder.objects.exists()
    assert not Notification.objects.exclude(title__startswith=DIGEST_TITLE).exists()

    after = scan(now=at(when, 10))
    assert (after.notified, after.digest) == (2, None)
    for user in reminded(rect):
        assert notified(user) == ["整改方案已逾期 7 天"]
    for user in rect.office:
        assert digests(user) == ["逾期事项汇总：2 项事项已逾期"]
    assert scan(now=at(when, 11)).notified == 0
    assert Notification.objects.count() == len(reminded(rect)) + len(rect.office)


# --- (c) Redis stopped across the due time --------------------------------------------------------


@pytest.mark.django_db
def test_scan_after_an_outage_across_the_due_time_sends_the_latest_stage_once(rect):
    # A week before the plans are due, beat's scan reminds as usual.
    assert scan(now=at(PLAN_DUE - timedelta(days=7))).notified == 2
    # Redis stops: beat cannot enqueue the hourly task, no worker runs it; the due day and
    # the first overdue week pass in silence. Redis is back nine days after the due date.
    back = at(PLAN_DUE + timedelta(days=9), 9)
    first = scan(now=back)
    assert (first.notified, first.digest) == (2, 2)
    for user in reminded(rect):
        # Not "before-1", "due" and "overdue-1" at once: the latest stage only.
        assert notified(user) == ["整改方案已逾期 9 天", "整改方案还有 7 天到期"]
    for user in rect.office:
        assert digests(user) == ["逾期事项汇总：2 项事项已逾期"]
    kinds = sorted(Reminder.objects.values_list("kind", flat=True).distinct())
    assert kinds == [f"before-7@{PLAN_DUE.isoformat()}", f"overdue-1@{PLAN_DUE.isoformat()}"]
    # The tasks beat queued just before the stop run late, and the operator runs the
    # command as well: nothing more.
    for minutes in (1, 2, 30):
        again = scan(now=back + timedelta(minutes=minutes))
        assert (again.notified, again.digest) == (0, None)
    assert_once_each(rect)


# --- (c) with a real Celery worker on Redis -------------------------------------------------------

WORKER_APP = '''"""Test-only Celery app (written by test_reminder_faults): the project's app."""
from config.celery import app  # noqa: F401
'''


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_after_redis_comes_back_sends_once(requires_postgres, rect, tmp_path):
    """The obligations fell due while Redis was down (nothing could be enqueued). Redis and the
    worker are back: beat's next tick, a late duplicate and the operator's retry all reach the
    worker; one reminder per recipient (the latest stage) and one digest result."""
    import redis
    from celery import Celery

    from rectification.tasks import SCAN
    from tests.rectification.test_render_worker import Worker

    broker = "redis://127.0.0.1:6379/9"
    client = redis.Redis.from_url(broker, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/ensure-services starts it)")
    # The worker scans at the real time: the plans fell due nine days ago.
    today = timezone.localdate()
    Obligation.objects.filter(kind=ObligationKind.PLAN).update(due_on=today - timedelta(days=9))
    Obligation.objects.filter(kind=ObligationKind.REPORT).update(due_on=today + timedelta(days=60))
    # Worker() starts `celery -A slow_render_app`; here that module is the plain project app.
    (tmp_path / "slow_render_app.py").write_text(WORKER_APP, encoding="utf-8")
    queue = f"scan-test-{uuid.uuid4().hex[:10]}"
    sender = Celery("scan-test-sender", broker=broker, set_as_current=False)
    worker = Worker(tmp_path, queue, broker, "scan", PINGYI_DIGEST_HOUR="0")
    try:
        for _ in range(3):
            sender.send_task(SCAN, queue=queue)

        def finished():
            return worker.log.read_text(errors="replace").count("succeeded in") >= 3

        deadline = time.monotonic() + 90
        while not finished():
            assert worker.process.poll() is None, worker.tail()
            assert time.monotonic() < deadline, f"the scans did not finish:\n{worker.tail()}"
            time.sleep(0.2)
    finally:
        worker.kill()
        client.delete(queue)
        sender.close()
        client.close()
    assert Reminder.objects.count() == 2
    for user in reminded(rect):
        assert notified(user) == ["整改方案已逾期 9 天"]
    for user in rect.office:
        assert digests(user) == ["逾期事项汇总：2 项事项已逾期"]
    assert DigestRun.objects.count() == 1
