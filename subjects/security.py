"""Client address resolution and the security event log (R22).

Security events go to the `pingyi.security` logger and to the audit table. They never hold
a password, a token or ballot content.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger("pingyi.security")


def client_ip(request) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as our own proxies.

    nginx appends the address it saw; with TRUSTED_PROXY_COUNT = n the client is the n-th
    address from the right. Anything further left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            remote = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None


def security_event(action: str, summary: str, *, actor=None, data=None) -> None:
    """Log a security event and keep it in the audit trail."""
    from .audit import record

    logger.info("%s %s", action, summary)
    record(actor=actor, action=action, summary=summary, data=data or {})
