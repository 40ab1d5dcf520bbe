"""Throughput floor: a bare WSGI insert vs. the same insert in a minimal Django view.

Both are served by gunicorn (4 sync workers) and loaded by wrk over loopback in the same run;
the ratio django_rps / floor_rps is the cost of Django with the production settings
(middleware, persistent connections) before any real view logic. Run from the repository root:

    .venv/bin/python bench/floor.py

The last line of stdout is one JSON object; logs go to stderr.
"""

import sys
import time
import traceback
from pathlib import Path

# `python bench/floor.py` puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._runner import (
    CONNECTIONS,
    DJANGO_APP,
    DURATION,
    WARMUP,
    bench_database,
    django_site,
    emit_json,
    log,
    measure_floor,
    measure_server,
    print_table,
    ratio_of,
    time_limit,
)


def main() -> int:
    started = time.monotonic()
    summary = {"bench": "floor", "connections": CONNECTIONS, "duration_s": DURATION}
    rows = []
    try:
        with time_limit(240 + 4 * (DURATION + WARMUP)), bench_database() as db_url:
            rows.append(measure_floor(db_url))
            try:
                with django_site(db_url) as env:
                    rows.append(
                        measure_server(
                            "Django view (production settings)",
                            DJANGO_APP,
                            "/__bench__/insert",
                            env=env,
                            db_url=db_url,
                        )
                    )
            except Exception as exc:  # still report the floor, which was measured
                traceback.print_exc()
                summary["error"] = f"django: {type(exc).__name__}: {exc}"
    except Exception as exc:
        traceback.print_exc()
        summary["error"] = f"{type(exc).__name__}: {exc}"

    if rows:
        print_table(rows)
    for key, row in zip(("floor", "django"), rows, strict=False):
        summary |= {
            f"{key}_rps": round(row["rps"], 1),
            f"{key}_p50_ms": round(row["p50_ms"], 2),
            f"{key}_p99_ms": round(row["p99_ms"], 2),
            f"{key}_requests": row["requests"],
            f"{key}_rows": row["rows"],
            f"{key}_errors": row["errors"],
        }
    summary["ratio"] = ratio_of(summary.get("django_rps"), summary.get("floor_rps"))
    summary["p99_ratio"] = ratio_of(summary.get("django_p99_ms"), summary.get("floor_p99_ms"))
    errors = sum(row["errors"] for row in rows)
    summary["ok"] = "error" not in summary and len(rows) == 2 and errors == 0
    summary["wall_s"] = round(time.monotonic() - started, 1)
    log(f"done in {summary['wall_s']} s")
    emit_json(summary)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
