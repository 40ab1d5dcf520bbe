"""Per-request facts (request id, client IP) that audit and log records pick up.

Context variables rather than thread locals: they are correct under threads and asyncio,
and empty in Celery tasks and management commands.
"""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
