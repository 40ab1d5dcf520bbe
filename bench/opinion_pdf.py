"""评议意见 PDFs: one realistic two-page opinion rendered warm, and a batch of 50 issued through
a real Celery worker.

- warm: in a fresh process with the production settings, `rectification.pdf.render` of the same
  two-page opinion (版头, 发文字号, title, 主送, 3 sections with clauses, rare name characters
  堃喆赟珺, 落款, 版记) BENCH_PDF_WARM times after one warm-up render; median and max seconds
  per PDF, and its size.
- batch: a review in 评议会议 with BENCH_PDF_BATCH (default 50) approved opinions of the same
  shape in a scratch PostgreSQL database; a real `celery worker` (prefork, 2 processes, Redis
  broker on db BENCH_PDF_REDIS_DB, default 12, used by nothing else); the clock runs from
  `opinions.start_issue_all` (what the "issue all" button calls) until its job is done. Checked
  afterwards: one document per opinion, numbers exactly 1..50, every PDF stored and parsed.

Targets (issue 6): ≤ 0.3 s per PDF warm, the batch of 50 ≤ 20 s on two cores, each PDF ≤ 400 KiB.
From the repository root, with PostgreSQL and Redis running:

    .venv/bin/python bench/opinion_pdf.py

The last line of stdout is one JSON object (pdfs, seconds, per_pdf_s, max_kib, warm_*); logs go
to stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._runner import (  # noqa: E402
    PYTHON,
    REPO_ROOT,
    _execute,
    _manage,
    bench_database,
    child_env,
    django_env,
    emit_json,
    log,
    print_table,
    time_limit,
)

WARM = int(os.environ.get("BENCH_PDF_WARM", "20"))
BATCH = int(os.environ.get("BENCH_PDF_BATCH", "50"))
REDIS_DB = int(os.environ.get("BENCH_PDF_REDIS_DB", "12"))
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
WORKERS = 2
TARGET_WARM_S = 0.3
TARGET_BATCH_S = 20.0
TARGET_KIB = 400

OPENING = (
    "根据《中华人民共和国各级人民代表大会常务委员会监督法》和2025年度述职评议实施方案，"
    "常委会于2025年6月20日召开第二十三次会议，听取了{who}同志的履职情况报告，"
    "进行了询问和满意度测评。现将评议意见转告如下："
)
OVERALL = (
    "常委会组成人员认为，{name}同志任职以来，能够认真贯彻落实党中央决策部署和县委工作要求，"
    "依法履行职责，主动接受人大监督，工作作风务实，各项工作取得了明显成效。"
    "满意度测评结果为“满意”，满意率（含基本满意）为91.7%。"
)
CLAUSES = [
    "依法行政方面存在不足。部分执法人员执法程序不够规范；行政复议纠错率偏高，赟珺等群众反映的问题办理不够及时。",
    "办理代表建议方面存在不足。代表建议答复后跟踪落实不够，个别建议存在重答复轻落实的现象。",
    "接受人大监督方面存在不足。向常委会报告工作不够主动，对常委会审议意见的研究处理不够深入。",
]
REQUIREMENTS = (
    "请{name}同志高度重视评议意见，逐条研究制定整改措施，明确整改责任、时限和标准，"
    "于收到本意见之日起1个月内将整改方案报送常委会，3个月内向常委会书面报告整改落实情况。"
    "常委会将适时对整改情况进行满意度测评。"
)
NAMES = ["王堃喆", "李赟", "张珺", "赵建华", "陈立新", "刘海燕", "孙丽", "周志刚", "吴昊", "郑颖"]


# --- in the Django child process -------------------------------------------------------------


def _django():
    import django

    django.setup()


def _organ():
    from rectification.models import IssuingOrgan

    return IssuingOrgan(
        name="示范县人民代表大会常务委员会",
        header="示范县人民代表大会常务委员会文件",
        code="示人常发",
        signature="示范县人大常委会",
        printer="示范县人大常委会办公室",
    )


def warm(count: int) -> dict:
    """Render the same two-page opinion `count` times after one warm-up, in this process."""
    _django()
    from datetime import date

    from rectification import pdf
    from rectification.models import Document

    name, who = "王堃喆", "县公安局局长王堃喆"
    body = [{"kind": "paragraph", "text": OPENING.format(who=who)}]
    body += [{"kind": "heading", "text": "一、总体评价"}]
    body += [{"kind": "paragraph", "text": OVERALL.format(name=name)}]
    body += [{"kind": "heading", "text": "二、存在的问题"}]
    body += [{"kind": "clause", "text": text} for text in CLAUSES]
    body += [{"kind": "heading", "text": "三、整改要求"}]
    body += [{"kind": "paragraph", "text": REQUIREMENTS.format(name=name)}]
    document = Document(
        kind="opinion",
        status="issued",
        organ=_organ(),
        year=2025,
        number=12,
        title=f"关于对{who}同志\n履职情况的评议意见",
        recipients=f"{name}同志",
        cc="县委，县人民政府，县监察委员会，县人民法院，县人民检察院",
        signed_on=date(2025, 7, 1),
        body=body,
    )
    started = time.perf_counter()
    data = pdf.render(document)  # warm-up: fonts loaded, templates compiled
    cold = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        data = pdf.render(document)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    pages = None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out, contextlib.suppress(OSError):
        out.write(data)
        out.flush()
        info = subprocess.run(["pdfinfo", out.name], capture_output=True, text=True).stdout
        # pdfinfo (poppler-utils) is a test dependency, not a bench one: the page count is
        # reported when it is installed.
        pages = next(
            (int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")),
            None,
        )
    return {
        "first_s": cold,
        "median_s": statistics.median(times),
        # CPU seconds of this process: less disturbed than wall time when other work shares
        # the two cores.
        "cpu_median_s": statistics.median(cpu),
        "max_s": max(times),
        "bytes": len(data),
        "pages": pages,
    }


def create(count: int) -> dict:
    """A review in 评议会议 with `count` approved two-page opinions."""
    _django()
    from datetime import date

    from django.db import transaction
    from django.utils import timezone

    from rectification.documents import default_organ
    from rectification.models import Opinion, OpinionClause, OpinionStatus
    from reviews.models import Review, Subject
    from reviews.services import create_review
    from reviews.workflow import Phase
    from subjects.models import Official, Unit, User

    office = User.objects.create(username="bench-office", full_name="评议办")
    review = create_review(
        actor=office, kind="duty", year=2025, title="2025 年度述职评议", term="第十七届"
    )
    Review.objects.filter(pk=review.pk).update(phase=Phase.MEETING)
    organ = default_organ()
    organ.name, organ.header = "示范县人民代表大会常务委员会", "示范县人民代表大会常务委员会文件"
    organ.code, organ.signature = "示人常发", "示范县人大常委会"
    organ.printer = "示范县人大常委会办公室"
    organ.save()
    with transaction.atomic():
        for n in range(count):
            unit = Unit.objects.create(
                name=f"县第{n + 1}局", category="government", liaison_committee="法制工作委员会"
            )
            name = NAMES[n % len(NAMES)]
            official = Official.objects.create(
                name=name,
                gender="M",
                unit=unit,
                post="局长",
                appointed_on=date(2021, 1, 1),
                in_post_since=date(2021, 1, 1),
                term="第十七届",
            )
            subject = Subject.objects.create(
                review=review,
                official=official,
                display_name=name,
                unit_name=unit.name,
                post="局长",
                form="onsite",
                order=n,
            )
            who = f"{unit.name}局长{name}"
            opinion = Opinion.objects.create(
                review=review,
                subject=subject,
                status=OpinionStatus.APPROVED,
                title=f"关于对{who}同志\n履职情况的评议意见",
                opening=OPENING.format(who=who),
                overall=OVERALL.format(name=name),
                requirements=REQUIREMENTS.format(name=name),
                council_session="第三十二次主任会议",
                council_date=timezone.localdate(),
                updated_by=office,
            )
            for order, text in enumerate(CLAUSES, start=1):
                OpinionClause.objects.create(opinion=opinion, order=order, text=text)
    return {"review": review.pk, "office": office.pk, "opinions": count}


def start(review_id: int, office_id: int) -> dict:
    """What the "issue all approved opinions" button does: start the job (sent after commit)."""
    _django()
    from rectification import opinions
    from reviews.models import Review
    from subjects.models import User

    job = opinions.start_issue_all(
        actor=User.objects.get(pk=office_id), review=Review.objects.get(pk=review_id)
    )
    return {"job": str(job.pk)}


def verify(review_id: int) -> dict:
    _django()
    from django.core.files.storage import default_storage

    from rectification.models import Document, RenderStatus

    documents = list(Document.objects.filter(review_id=review_id).order_by("number"))
    sizes, starts = [], []
    for document in documents:
        with default_storage.open(document.pdf.name, "rb") as handle:
            data = handle.read()
        sizes.append(len(data))
        starts.append(data[:5] == b"%PDF-")
    return {
        "documents": len(documents),
        "numbers": [d.number for d in documents],
        "distinct_opinions": len({d.opinion_id for d in documents}),
        "done": sum(d.render_status == RenderStatus.DONE for d in documents),
        "pdfs": sum(starts),
        "max_bytes": max(sizes, default=0),
        "total_bytes": sum(sizes),
    }


# --- the driver ------------------------------------------------------------------------------


def _child(env, *args, timeout=600) -> dict:
    result = subprocess.run(
        [PYTHON, "-m", "bench.opinion_pdf", *args],
        cwd=REPO_ROOT,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise RuntimeError(f"bench child {args} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def celery_worker(env, log_path: Path):
    """A real worker as production runs it (prefork, 2 processes); yields once it is ready."""
    command = [
        PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
        "-c", str(WORKERS), "-l", "info", "-n", f"bench-pdf-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log(f"starting celery worker ({WORKERS} processes, broker {BROKER})")
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
                raise RuntimeError("the celery worker did not start")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def django_site(db_url: str):
    """The production settings on a migrated scratch database. Unlike bench._runner.django_site
    there is no collectstatic: nothing here serves pages, the renderer reads its fonts through
    the staticfiles finders, and compressing the 15 MB of vendored OTFs with brotli takes
    minutes (see the report of issue 6)."""
    with tempfile.TemporaryDirectory(prefix="pingyi_bench_pdf_site_") as tmp:
        env = django_env(db_url, Path(tmp))
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        yield env


def _clear_broker() -> None:
    """The bench's own Redis db: drop queued messages a failed earlier run left behind."""
    import redis

    client = redis.Redis.from_url(BROKER, socket_connect_timeout=2)
    try:
        client.delete("celery", "unacked", "unacked_index")
    finally:
        client.close()


def main() -> int:
    result: dict = {"pdfs": None, "seconds": None, "per_pdf_s": None, "max_kib": None}
    try:
        with (
            time_limit(900),
            bench_database(prefix="pingyi_bench_pdf") as db_url,
            django_site(db_url) as site_env,
            tempfile.TemporaryDirectory(prefix="pingyi_bench_pdf_") as tmp,
        ):
            env = {**site_env, "REDIS_URL": BROKER}
            log(f"warm: one opinion rendered {WARM} times after a warm-up")
            warm_figures = _child(env, "warm", str(WARM))
            log(f"creating a review with {BATCH} approved opinions")
            data = _child(env, "create", str(BATCH))
            _clear_broker()
            with celery_worker(env, Path(tmp) / "worker.log") as _worker:
                started = time.perf_counter()
                job_id = _child(env, "start", str(data["review"]), str(data["office"]))["job"]
                deadline = time.monotonic() + 600
                while True:
                    [(status, done, total, error)] = _execute(
                        db_url, "SELECT status, done, total, error FROM subjects_job WHERE id = %s",
                        (job_id,),
                    )  # fmt: skip
                    if status in ("done", "failed") or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                seconds = time.perf_counter() - started
            if status != "done":
                raise RuntimeError(f"the batch job ended {status!r}: {error} ({done}/{total})")
            check = _child(env, "verify", str(data["review"]))
        ok = (
            check["documents"] == BATCH
            and check["distinct_opinions"] == BATCH
            and check["numbers"] == list(range(1, BATCH + 1))
            and check["pdfs"] == check["done"] == BATCH
        )
        result = {
            "pdfs": check["pdfs"],
            "documents": check["documents"],
            "numbers_ok": check["numbers"] == list(range(1, BATCH + 1)),
            "seconds": round(seconds, 2),
            "per_pdf_s": round(seconds / BATCH, 3),
            "max_kib": round(check["max_bytes"] / 1024, 1),
            "workers": WORKERS,
            "warm_median_s": round(warm_figures["median_s"], 3),
            "warm_max_s": round(warm_figures["max_s"], 3),
            "warm_cpu_median_s": round(warm_figures["cpu_median_s"], 3),
            "warm_first_s": round(warm_figures["first_s"], 3),
            "warm_kib": round(warm_figures["bytes"] / 1024, 1),
            "warm_pages": warm_figures["pages"],
            "warm_renders": WARM,
            "target_warm_s": TARGET_WARM_S,
            "target_batch_s": TARGET_BATCH_S,
            "target_kib": TARGET_KIB,
            "verified": ok,
            # Other work on the machine skews every figure here: the 1-minute load at the end.
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }
        print_table(
            [
                {
                    "run": f"warm, one opinion × {WARM}",
                    "pdfs": WARM,
                    "seconds": warm_figures["median_s"] * WARM,
                    "per_pdf": warm_figures["median_s"],
                    "max": warm_figures["max_s"],
                    "kib": warm_figures["bytes"] / 1024,
                },
                {
                    "run": f"batch via worker (-c {WORKERS})",
                    "pdfs": check["pdfs"],
                    "seconds": seconds,
                    "per_pdf": seconds / BATCH,
                    "max": None,
                    "kib": check["max_bytes"] / 1024,
                },
            ],
            [
                ("run", "run", ""),
                ("pdfs", "pdfs", "d"),
                ("seconds", "seconds", ".2f"),
                ("s / pdf (median)", "per_pdf", ".3f"),
                ("max s", "max", ".3f"),
                ("max KiB", "kib", ".1f"),
            ],
        )
        print(
            f"warm {result['warm_median_s']:.3f} s/PDF (target ≤ {TARGET_WARM_S}); "
            f"batch {result['seconds']:.1f} s for {BATCH} (target ≤ {TARGET_BATCH_S}); "
            f"max {result['max_kib']:.0f} KiB (target ≤ {TARGET_KIB}); "
            f"numbers 1..{BATCH} {'ok' if result['numbers_ok'] else 'WRONG'}",
            flush=True,
        )
        emit_json(result)
        return 0 if ok else 1
    except Exception:
        traceback.print_exc()
        result["error"] = "benchmark failed"
        emit_json(result)
        return 1


if __name__ == "__main__":
    commands = {"warm": warm, "create": create, "start": start, "verify": verify}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        args = [int(a) for a in sys.argv[2:]]
        print(json.dumps(commands[sys.argv[1]](*args)), flush=True)
    else:
        sys.exit(main())
