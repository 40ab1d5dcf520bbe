"""gunicorn settings of a production web node (docs/operations.md); the benchmarks start
gunicorn with this file too, so they measure what production runs.

Threaded workers: when a room of members submits ballots in the same second, a short
request (the projector's turnout, a page view) is taken up at once by a free thread instead
of waiting behind every queued ballot of a sync worker.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# Behind nginx on the same host (docs/operations.md); nginx sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
