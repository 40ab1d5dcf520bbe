import logging

from . import requestctx


class RequestContextFilter(logging.Filter):
    """Adds the request id to every record so one request's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestctx.request_id.get() or "-"
        return True
