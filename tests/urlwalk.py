"""Walk the whole URL map: every pattern with a concrete URL, its view and its name."""

import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter

SAMPLE_BY_CONVERTER = {
    IntConverter: "1",
    SlugConverter: "sample",
    UUIDConverter: str(uuid.UUID(int=1)),
    PathConverter: "sample/path",
}


@dataclass
class Route:
    url: str
    name: str
    namespace: str
    callback: object


def _sample(pattern) -> str:
    """A concrete URL fragment for one route pattern (converters filled with samples)."""
    route = getattr(pattern.pattern, "_route", None)
    if route is None:  # a regex pattern (the admin's); fill groups with plain text
        regex = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        import re

        return re.sub(r"\(\?P<\w+>[^)]*\)", "1", regex).replace("\\", "")
    converters = pattern.pattern.converters
    out = route
    for name, converter in converters.items():
        value = SAMPLE_BY_CONVERTER.get(type(converter), "sample")
        out = out.replace(f"<{type(converter).__name__}:{name}>", value)
        for prefix in ("int", "str", "slug", "uuid", "path"):
            out = out.replace(f"<{prefix}:{name}>", value)
        out = out.replace(f"<{name}>", value)
    return out


def walk(resolvers=None, prefix="/", namespace=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + _sample(entry), ns)
        elif isinstance(entry, URLPattern):
            yield Route(prefix + _sample(entry), entry.name or "", namespace, entry.callback)
