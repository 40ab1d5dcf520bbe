"""归档 pages (namespace "rectification"): the office archives a review; office and council
download the zip."""

from django.urls import path

from . import views_archive

urlpatterns: list = [
    path("reviews/<int:pk>/archive/", views_archive.archive, name="archive"),
    path(
        "reviews/<int:pk>/archive/download/",
        views_archive.archive_download,
        name="archive_download",
    ),
]
