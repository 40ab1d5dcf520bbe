"""Rendering documents in the worker: enqueued only after commit (R17), claimed with an attempt
counter so a redelivered task renders once and a poison task stops (R20), and a real Celery
worker SIGKILLed in the middle of a render: the task runs again and exactly one document with
one PDF exists.

The real-worker tests start `celery worker` subprocesses on the Redis broker (a dedicated db
number and a queue of their own) against the committed test database; a test-only app module
(written to tmp_path, not shipped) slows the first render down so the kill lands mid-render.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from rectification import documents, opinions
from rectification import tasks as render_tasks
from rectification.models import Document, DocumentKind, Opinion, OpinionStatus, RenderStatus
from reviews.models import Review
from reviews.workflow import Phase
from subjects.roles import Role
from tests.factories import ReviewFactory, SubjectFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clerk(db):
    return UserFactory(username="render-clerk", roles=[Role.OFFICE])


@pytest.fixture
def review(clerk):
    review = ReviewFactory(created_by=clerk)
    Review.objects.filter(pk=review.pk).update(phase=Phase.MEETING)
    review.refresh_from_db()
    return review


@pytest.fixture
def sent():
    with mock.patch.object(documents, "current_app") as app:
        yield app.send_task


def draft(review, clerk):
    return documents.create_document(
        actor=clerk,
        review=review,
        kind=DocumentKind.RESULT_NOTICE,
        title="关于2025年度述职评议满意度测评结果的通报",
        body=[{"kind": "paragraph", "text": "常委会对8名评议对象进行了满意度测评，结果如下。"}],
        recipients="各评议对象",
        cc="县委，县人民政府",
    )


def issued(review, clerk):
    return documents.issue_document(actor=clerk, document=draft(review, clerk))


def stored_pdfs(root: Path) -> list[Path]:
    return sorted(root.rglob("*.pdf")) if root.exists() else []


# --- R17: after commit only ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_issue_enqueues_nothing(review, clerk, sent):
    document = draft(review, clerk)
    with pytest.raises(RuntimeError), transaction.atomic():
        documents.issue_document(actor=clerk, document=document)
        raise RuntimeError("the request failed after issuing")
    assert sent.call_count == 0
    document.refresh_from_db()
    assert document.number is None and document.render_status == RenderStatus.PENDING

    with transaction.atomic():
        documents.issue_document(actor=clerk, document=document)
        assert sent.call_count == 0  # not before the commit
    sent.assert_called_once_with(documents.RENDER_TASK, args=[document.pk])


@pytest.mark.django_db(transaction=True)
def test_rolled_back_opinion_issue_and_retry_enqueue_nothing(review, clerk, sent):
    subject = SubjectFactory(review=review)
    opinion = Opinion.objects.create(
        review=review,
        subject=subject,
        status=OpinionStatus.APPROVED,
        title="关于对某某同志\n履职情况的评议意见",
        overall="总体评价。",
        council_session="第三十二次主任会议",
        council_date=timezone.localdate(),
        updated_by=clerk,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        opinions.issue_opinion(actor=clerk, opinion=opinion)
        raise RuntimeError
    assert sent.call_count == 0 and not Document.objects.filter(opinion=opinion).exists()

    document = issued(review, clerk)
    Document.objects.filter(pk=document.pk).update(render_status=RenderStatus.FAILED)
    sent.reset_mock()
    with pytest.raises(RuntimeError), transaction.atomic():
        documents.retry_render(actor=clerk, document=document)
        raise RuntimeError
    assert sent.call_count == 0
    document.refresh_from_db()
    assert document.render_status == RenderStatus.FAILED


# --- R20: claims and attempts ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_redelivered_render_after_a_lost_worker_stores_one_pdf(review, clerk, sent):
    document = issued(review, clerk)
    media = Path(settings.MEDIA_ROOT)
    before = stored_pdfs(media)
    lost = documents.claim_render(document.pk)  # the first worker claims it, then dies
    assert lost is not None
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERING and document.render_attempts == 1

    assert documents.render_document(document.pk) is True  # the redelivered task
    document.refresh_from_db()
    assert document.render_status == RenderStatus.DONE and document.render_attempts == 2
    assert document.pdf.open("rb").read(5) == b"%PDF-" and document.pdf_size > 10_000
    assert len(stored_pdfs(media)) == len(before) + 1
    assert Document.objects.filter(review=review).count() == 1

    # The lost worker comes back to life and finishes its render late: its file is dropped,
    # the stored one stays.
    stored = document.pdf.name
    with mock.patch.object(documents, "claim_render", return_value=lost):
        assert documents.render_document(document.pk) is False
    document.refresh_from_db()
    assert document.pdf.name == stored
    assert len(stored_pdfs(media)) == len(before) + 1
    # A further delivery does nothing at all.
    assert documents.render_document(document.pk) is False
    assert documents.claim_render(document.pk) is None


@pytest.mark.django_db
def test_attempts_are_bounded_and_retry_resets_them(review, clerk, sent):
    document = issued(review, clerk)
    for _ in range(documents.MAX_RENDER_ATTEMPTS):
        assert documents.claim_render(document.pk) is not None  # each worker lost mid-render
    assert documents.claim_render(document.pk) is None
    document.refresh_from_db()
    assert document.render_status == RenderStatus.FAILED
    assert document.render_error == "多次生成失败，请重试或联系管理员。"
    assert documents.render_document(document.pk) is False

    sent.reset_mock()
    documents.retry_render(actor=clerk, document=document)
    document.refresh_from_db()
    assert document.render_status == RenderStatus.PENDING and document.render_attempts == 0
    assert document.render_error == ""
    assert documents.render_document(document.pk) is True
    document.refresh_from_db()
    assert document.render_status == RenderStatus.DONE and document.render_attempts == 1


@pytest.mark.django_db
def test_a_poison_document_stops_after_the_bound(review, clerk, sent):
    """The task's own retries and the attempt counter agree: three tries, then 生成失败."""
    document = issued(review, clerk)
    calls = []

    def broken(document, **kwargs):
        calls.append(document.pk)
        raise RuntimeError("a font the renderer cannot read")

    with mock.patch("rectification.pdf.render", broken):
        result = render_tasks.render_document.apply(args=[document.pk])
        assert result.failed()
        assert len(calls) == documents.MAX_RENDER_ATTEMPTS
        document.refresh_from_db()
        assert document.render_status == RenderStatus.FAILED
        assert document.render_error == "生成失败：RuntimeError"
        assert document.render_attempts == documents.MAX_RENDER_ATTEMPTS
        # A late redelivery of the poison message renders nothing more.
        render_tasks.render_document.apply(args=[document.pk])
        assert len(calls) == documents.MAX_RENDER_ATTEMPTS
    assert not document.pdf


# --- R20 with a real worker: SIGKILL mid-render ---------------------------------------------------

SLOW_APP = '''"""Test-only Celery app (written by test_render_worker): the project's app, with
the PDF render of the first call slowed down so the test can kill the worker in the middle."""
import os
import time

import django

from config.celery import app

if os.environ.get("PINGYI_TEST_VISIBILITY"):
    # The restarted worker reclaims the killed worker's unacknowledged message after this many
    # seconds (production: 3,600 s, above every task time limit).
    app.conf.broker_transport_options = {
        "visibility_timeout": float(os.environ["PINGYI_TEST_VISIBILITY"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

django.setup()

from rectification import pdf  # noqa: E402

_render = pdf.render
MARK = os.environ["PINGYI_TEST_RENDER_MARK"]


def slow_first_render(document, **kwargs):
    first = not os.path.exists(MARK)
    with open(MARK, "a") as mark:
        mark.write(f"{os.getpid()}\\n")
    if first:
        time.sleep(120)  # the test kills the process here
    return _render(document, **kwargs)


pdf.render = slow_first_render
'''


class Worker:
    """A `celery worker` subprocess (prefork, one process) on its own Redis queue."""

    def __init__(self, tmp_path: Path, queue: str, broker: str, name: str, **extra_env):
        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                "SECRET_KEY": "render-worker-test-" + "x" * 40,
                "DATABASE_URL": (
                    f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
                    f":{db['PORT'] or 5432}/{db['NAME']}"
                ),
                "CONN_MAX_AGE": "0",
                "REDIS_URL": broker,
                "PINGYI_VAR_DIR": str(tmp_path / "var"),
                "MEDIA_ROOT": str(tmp_path / "media"),
                "PINGYI_SITE_URL": settings.PINGYI_SITE_URL,
                "PINGYI_TEST_RENDER_MARK": str(tmp_path / "render-started"),
                "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
                **extra_env,
            }
        )
        self.log = tmp_path / f"{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "slow_render_app", "worker",
            "--pool=prefork", "-c", "1", "-Q", queue, "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole below
            )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL the worker and its pool process (the process group this test started)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def wait_for(condition, timeout: float, what: str, worker: Worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker.tail()}")


@pytest.fixture
def real_worker_setup(requires_postgres, tmp_path, review, clerk, sent):
    """A committed issued document, the test app module, a private Redis queue."""
    import redis
    from celery import Celery

    broker = "redis://127.0.0.1:6379/9"
    client = redis.Redis.from_url(broker, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/ensure-services starts it)")
    (tmp_path / "slow_render_app.py").write_text(SLOW_APP, encoding="utf-8")
    queue = f"render-test-{uuid.uuid4().hex[:10]}"
    sender = Celery("render-test-sender", broker=broker, set_as_current=False)
    workers: list[Worker] = []

    def start(name, **env):
        workers.append(Worker(tmp_path, queue, broker, name, **env))
        return workers[-1]

    def enqueue(document_id):
        sender.send_task(documents.RENDER_TASK, args=[document_id], queue=queue)

    try:
        yield {
            "document": issued(review, clerk),
            "start": start,
            "enqueue": enqueue,
            "mark": tmp_path / "render-started",
            "media": tmp_path / "media",
        }
    finally:
        for worker in workers:
            worker.kill()
        client.delete(queue)
        sender.close()
        client.close()


def assert_rendered_once(document, media: Path, mark: Path, worker: Worker):
    document.refresh_from_db()
    assert Document.objects.count() == 1
    assert document.render_status == RenderStatus.DONE, worker.tail()
    assert document.render_attempts == 2  # the killed attempt and the one that finished
    path = media / document.pdf.name
    assert path.read_bytes()[:5] == b"%PDF-" and document.pdf_size == path.stat().st_size
    assert stored_pdfs(media) == [path]  # the killed attempt left no file behind
    pids = mark.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]  # two processes ran it


@pytest.mark.django_db(transaction=True)
def test_sigkill_of_the_pool_process_mid_render_reruns_the_task(real_worker_setup):
    """acks_late + reject_on_worker_lost: the worker's main process sees its pool process die,
    puts the message back, and a new pool process renders it."""
    s = real_worker_setup
    document = s["document"]
    worker = s["start"]("pool-kill")
    s["enqueue"](document.pk)
    wait_for(s["mark"].exists, 45, "the render to start", worker)
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERING and document.render_attempts == 1
    os.kill(int(s["mark"].read_text().split()[0]), signal.SIGKILL)  # the pool process
    wait_for(
        lambda: Document.objects.filter(pk=document.pk, render_status=RenderStatus.DONE).exists(),
        45,
        "the re-run to store the PDF",
        worker,
    )
    assert_rendered_once(document, s["media"], s["mark"], worker)
    assert "WorkerLostError" in worker.tail()


@pytest.mark.django_db(transaction=True)
def test_sigkill_of_the_whole_worker_mid_render_reruns_after_restart(real_worker_setup):
    """The whole worker dies (main and pool process): the unacknowledged message stays in
    Redis and a restarted worker takes it up once the visibility timeout has passed."""
    s = real_worker_setup
    document = s["document"]
    first = s["start"]("first")
    s["enqueue"](document.pk)
    wait_for(s["mark"].exists, 45, "the render to start", first)
    first.kill()
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERING and document.pdf.name == ""
    restarted = s["start"]("restarted", PINGYI_TEST_VISIBILITY="3")
    wait_for(
        lambda: Document.objects.filter(pk=document.pk, render_status=RenderStatus.DONE).exists(),
        45,
        "the restarted worker to store the PDF",
        restarted,
    )
    assert_rendered_once(document, s["media"], s["mark"], restarted)
