"""gunicorn settings of a production web node (docs/operations.md); the benchmarks start
gunicorn with this file too, so they measure what production runs.

One process per core, each with a few threads. The threads take up another request while one
waits on PostgreSQL; more processes than cores only make them fight for the CPU: on the 2-core
machine 4 processes × 4 threads served questionnaires at 133 rps with p99 3.2 s, 2 × 4 at 163 rps
with p99 0.2 s, and ballots at 96 against 174 rps (docs/phase-2-investigate.md,
docs/phase-3-meeting.md). WEB_CONCURRENCY and GUNICORN_THREADS override both.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(len(os.sched_getaffinity(0)))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# Behind nginx on the same host (docs/operations.md); nginx sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
