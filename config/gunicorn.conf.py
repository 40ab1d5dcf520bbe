"""gunicorn settings of a production web node (docs/operations.md); the benchmarks start
gunicorn with this file too, so they measure what production runs.

Two sync worker processes per core, behind nginx, which buffers request and response bodies
(so a slow phone never holds a worker). A process that waits on PostgreSQL leaves the core to
another process; threads would instead queue behind the interpreter lock. Measured on the
2-core machine (2026-11-22, bench/survey_ingest.py and bench/ballot_burst.py, 16 connections):
2 processes × 4 threads served questionnaires at 221–282 rps with p99 151–201 ms, and the
bench's do-almost-nothing Django view on that server had p99 114–131 ms; 4 sync processes served
them at 225–244 rps with p99 93–101 ms (that view: 41–43 ms); ballots 349 rps p99 129 ms
threaded, 287 rps p99 80 ms sync. Earlier, 4 processes × 4 threads: 133 rps, p99 3.2 s.
WEB_CONCURRENCY, GUNICORN_WORKER_CLASS and GUNICORN_THREADS override.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * len(os.sched_getaffinity(0)))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
graceful_timeout = 30
# Behind nginx on the same host (docs/operations.md); nginx sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
