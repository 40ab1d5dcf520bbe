"""The locked-down URL fetcher every WeasyPrint render uses (R16).

WeasyPrint would otherwise follow any URL a template names: file:///etc/passwd, or
http://127.0.0.1:6379 on the intranet. This fetcher allows data: URIs and files under
STATIC_URL that the staticfiles finders resolve, and refuses everything else before any
socket or file outside static/ is opened.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticOnlyFetcher(URLFetcher):
    """Allows data: URIs and files under STATIC_URL found by the staticfiles finders;
    refuses everything else (file:, http:, ftp:, other hosts) before any socket opens."""

    def __init__(self):
        super().__init__(timeout=2, allowed_protocols=("data",), allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = static_file_for(url)
        if path is None:
            raise ValueError(f"PDF 渲染拒绝读取外部资源：{url[:100]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )


def static_file_for(url: str) -> Path | None:
    """The static file a URL of our own site names, or None."""
    parts = urlsplit(url)
    site = urlsplit(settings.PINGYI_SITE_URL)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    path = unquote(parts.path)
    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
    if not path.startswith(static_url) or ".." in path.split("/"):
        return None
    found = finders.find(path[len(static_url) :])
    if not found:
        return None
    return Path(found).resolve()
