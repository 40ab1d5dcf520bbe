"""The project's URLs plus bench-only views. Routed only by bench/_django_settings.py."""

from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_POST

import config.urls as _project
from config.urls import urlpatterns as _base
from subjects.access import public

# Django looks the error handlers up in ROOT_URLCONF: keep the project's pages.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(_project, _name):
        globals()[_name] = getattr(_project, _name)


@public
def insert_view(request):
    """Same work as the floor app (bench/_floor_wsgi.py): one row, through Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (payload) VALUES (%s)", ["django"])
    return HttpResponse(b"ok\n", content_type="text/plain")


@public
@require_POST
def ceiling_view(request, target):
    """The least any Django view can do with the benchmarked request itself: the middleware
    checks its CSRF token, the session cookie's session and user are loaded, the form body is
    parsed, one row is inserted, and it redirects to /<target> as the real view does. The real
    view's rate is read against this one: what is left is the view's own work."""
    fields = len(request.POST)
    user = request.user.pk if request.user.is_authenticated else 0
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (payload) VALUES (%s)", [f"{user}:{fields}"])
    return HttpResponseRedirect("/" + target)


urlpatterns = [
    *_base,
    path("__bench__/insert", insert_view),
    path("__bench__/ceiling/<path:target>", ceiling_view),
]
