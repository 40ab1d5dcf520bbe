"""Counters in the cache for throttling by client address (wrong voting or invitation codes,
open-link submissions). A counter expires `window` seconds after its first hit."""

from dataclasses import dataclass

from django.core.cache import cache

from .security import client_ip, security_event


def count_in_window(key: str, window: int) -> int:
    """Count one hit on `key`; return the count including it."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


@dataclass(frozen=True)
class FailureThrottle:
    """Wrong codes per client address: blocked once `allowed` failures happened within
    `window` seconds; the failure that reaches the limit is a security event (R22)."""

    prefix: str
    event: str
    what: str  # e.g. "投票码", for the event's summary
    allowed: int = 20
    window: int = 15 * 60

    def _key(self, request) -> str:
        return f"{self.prefix}:{client_ip(request)}"

    def blocked(self, request) -> bool:
        return cache.get(self._key(request), 0) >= self.allowed

    def failed(self, request) -> None:
        failures = count_in_window(self._key(request), self.window)
        if failures == self.allowed:
            minutes = self.window // 60
            security_event(self.event, f"{self.what}连续输错 {failures} 次，暂停 {minutes} 分钟")
