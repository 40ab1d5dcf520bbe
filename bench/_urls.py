"""The project's URLs plus bench-only views. Routed only by bench/_django_settings.py."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

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


urlpatterns = [*_base, path("__bench__/insert", insert_view)]
