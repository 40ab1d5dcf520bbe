"""The rectification satisfaction vote and the council's 继续整改 (namespace "rectification")."""

from django.urls import path

from . import views_vote as views

urlpatterns = [
    path("reviews/<int:pk>/rectification-vote/", views.vote_start, name="vote_start"),
    path("council/cases/", views.council_cases, name="council_cases"),
    path("cases/<int:pk>/continue/", views.order_continue, name="order_continue"),
]
