"""The raw-answers Excel export against a bare openpyxl write-only loop over the same rows.

What "100,000 answers" means here: 100,000 `Answer` rows (one answered cell each) of one
questionnaire whose matrix asks 5 subjects × 2 dimensions, i.e. 10,000 responses → a raw
export of 10,000 rows × 13 columns (序号, 填写方式, 填写日期 and the 10 cells). Set
BENCH_EXPORT_ANSWERS to change the number (a multiple of 10).

- export: `surveys.exports.write_raw` as the background job runs it — two server-side
  iterators over PostgreSQL merged by response, the pivot into cells, openpyxl write_only.
- floor: the very same rows, already in memory (built before the clock starts), written by a
  bare `Workbook(write_only=True)` loop: what the file format alone costs.

Each measurement runs in a fresh process (best of BENCH_EXPORT_REPEAT, default 3, alternating
export and floor); peak memory is the export's peak Python heap (tracemalloc, measured in a
separate untimed run) and, for context, the timed process's max RSS. Targets: seconds at most
1.3 × the floor, peak under 100 MB. From the repository root:

    .venv/bin/python bench/export_xlsx.py

The last line of stdout is one JSON object; logs go to stderr.
"""

from __future__ import annotations

import json
import os
import resource
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
    bench_database,
    child_env,
    django_site,
    emit_json,
    log,
    print_table,
    time_limit,
)

ANSWERS = int(os.environ.get("BENCH_EXPORT_ANSWERS", "100000"))
REPEAT = int(os.environ.get("BENCH_EXPORT_REPEAT", "3"))
SUBJECTS = 5
DIMENSIONS = 2
CELLS = SUBJECTS * DIMENSIONS
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 100


# --- in the Django child process -------------------------------------------------------------


def _django():
    import django

    django.setup()


def create_data(answers: int) -> dict:
    """A review with SUBJECTS subjects, a matrix questionnaire over DIMENSIONS dimensions and
    answers / CELLS responses, each answering every cell."""
    _django()
    import random

    from django.db import transaction

    from reviews.models import Subject
    from reviews.services import create_review
    from subjects.models import Unit, User
    from surveys.models import Answer, Channel, Question, Questionnaire, Response, Section

    rng = random.Random(7)
    actor = User.objects.create(username="bench-office", full_name="评议办")
    review = create_review(
        actor=actor, kind="duty", year=2025, title="2025 年度述职评议", term="第十七届"
    )
    subjects = [
        Subject.objects.create(
            review=review,
            official=None,
            unit=Unit.objects.create(
                name=f"县第{i}局", category="government", liaison_committee="法制工作委员会"
            ),
            display_name=f"评议对象{i:02d}",
            unit_name=f"县第{i}局",
            post="局长",
            form="written",
            order=i,
        )
        for i in range(SUBJECTS)
    ]
    dimensions = list(review.dimensions.all()[:DIMENSIONS])
    from django.utils import timezone

    now = timezone.now()
    questionnaire = Questionnaire.objects.create(
        review=review,
        title="人大代表满意度测评",
        audience="deputies",
        opens_at=now - timezone.timedelta(days=10),
        closes_at=now + timezone.timedelta(days=10),
        published_at=now - timezone.timedelta(days=10),
        frozen_at=now - timezone.timedelta(days=9),
    )
    section = Section.objects.create(questionnaire=questionnaire, title="满意度测评", order=1)
    matrix = Question.objects.create(
        questionnaire=questionnaire, section=section, kind="matrix", text="请逐项评价", order=1
    )
    matrix.subjects.set(subjects)
    matrix.dimensions.set(dimensions)
    choices = ["satisfied", "satisfied", "basic", "dissatisfied", "unknown"]
    channels = [Channel.INVITATION, Channel.INVITATION, Channel.OPEN, Channel.PAPER]
    responses_wanted = answers // CELLS
    batch = 2000
    with transaction.atomic():
        for start in range(0, responses_wanted, batch):
            responses = Response.objects.bulk_create(
                Response(questionnaire=questionnaire, channel=rng.choice(channels))
                for _ in range(min(batch, responses_wanted - start))
            )
            Answer.objects.bulk_create(
                (
                    Answer(
                        response=response,
                        questionnaire=questionnaire,
                        question=matrix,
                        subject=subject,
                        dimension=dimension,
                        choice=rng.choice(choices),
                    )
                    for response in responses
                    for subject in subjects
                    for dimension in dimensions
                ),
                batch_size=5000,
            )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "questionnaire": questionnaire.pk,
        "responses": Response.objects.filter(questionnaire=questionnaire).count(),
        "answers": Answer.objects.filter(questionnaire=questionnaire).count(),
    }


def measure(mode: str, questionnaire_id: int) -> dict:
    _django()
    from openpyxl import Workbook

    from surveys.exports import raw_rows, write_raw
    from surveys.models import Questionnaire

    questionnaire = Questionnaire.objects.get(pk=questionnaire_id)
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "out.xlsx")
        if mode == "floor":
            rows = list(raw_rows(questionnaire))  # built before the clock starts
            started = time.perf_counter()
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("原始答卷")
            for row in rows:
                sheet.append(row)
            workbook.save(target)
            seconds = time.perf_counter() - started
            count = len(rows) - 1
            peak = None
        elif mode == "export":
            started = time.perf_counter()
            count = write_raw(questionnaire, target)
            seconds = time.perf_counter() - started
            peak = None
        elif mode == "memory":
            import tracemalloc

            tracemalloc.start()
            started = time.perf_counter()
            count = write_raw(questionnaire, target)
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        else:
            raise ValueError(mode)
        size = os.path.getsize(target)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "rows": count, "peak_mb": peak, "rss_mb": rss, "bytes": size}


# --- the driver ------------------------------------------------------------------------------


def _child(env, *args, timeout=900) -> dict:
    result = subprocess.run(
        [PYTHON, "-m", "bench.export_xlsx", *args],
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


def main() -> int:
    result: dict = {"rows": None, "seconds": None, "floor_seconds": None, "ratio": None}
    try:
        with (
            time_limit(1800),
            bench_database(prefix="pingyi_bench_export") as db_url,
            django_site(db_url) as env,
        ):
            log(f"creating {ANSWERS} answers")
            data = _child(env, "create", str(ANSWERS))
            qid = str(data["questionnaire"])
            exports, floors = [], []
            for n in range(REPEAT):
                log(f"round {n + 1}/{REPEAT}")
                exports.append(_child(env, "measure", "export", qid))
                floors.append(_child(env, "measure", "floor", qid))
            memory = _child(env, "measure", "memory", qid)
        best = min(exports, key=lambda r: r["seconds"])
        floor = min(floors, key=lambda r: r["seconds"])
        result = {
            "answers": data["answers"],
            "rows": best["rows"],
            "columns": 3 + CELLS,
            "seconds": round(best["seconds"], 3),
            "floor_seconds": round(floor["seconds"], 3),
            "ratio": round(best["seconds"] / floor["seconds"], 3),
            "peak_mb": round(memory["peak_mb"], 1),
            "rss_mb": round(best["rss_mb"], 1),
            "floor_rss_mb": round(floor["rss_mb"], 1),
            "xlsx_bytes": best["bytes"],
            "target_ratio": TARGET_RATIO,
            "target_peak_mb": TARGET_PEAK_MB,
        }
        print_table(
            [
                {
                    "name": "export (write_raw)",
                    "rows": best["rows"],
                    "seconds": best["seconds"],
                    "mb": memory["peak_mb"],
                    "rss": best["rss_mb"],
                },
                {
                    "name": "floor (bare write_only)",
                    "rows": floor["rows"],
                    "seconds": floor["seconds"],
                    "mb": None,
                    "rss": floor["rss_mb"],
                },
            ],
            [
                ("run", "name", ""),
                ("rows", "rows", "d"),
                ("seconds", "seconds", ".3f"),
                ("heap peak MB", "mb", ".1f"),
                ("max RSS MB", "rss", ".1f"),
            ],
        )
        print(
            f"ratio {result['ratio']:.3f} (target ≤ {TARGET_RATIO}); "
            f"peak {result['peak_mb']:.1f} MB (target < {TARGET_PEAK_MB} MB); "
            f"{result['answers']} answers",
            flush=True,
        )
        emit_json(result)
        return 0
    except Exception:
        traceback.print_exc()
        result["error"] = "benchmark failed"
        emit_json(result)
        return 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "create":
        print(json.dumps(create_data(int(sys.argv[2]))), flush=True)
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))), flush=True)
    else:
        sys.exit(main())
