from django.urls import path

from . import views_distribute as views

Q = "questionnaires/<int:pk>/distribution/"

urlpatterns = [
    path(Q, views.distribution_page, name="distribution"),
    path(f"{Q}batches/", views.batch_create, name="batch_create"),
    path("questionnaires/batches/<int:pk>/void/", views.batch_void, name="batch_void"),
    path("questionnaires/batches/<int:pk>/remind/", views.batch_remind, name="batch_remind"),
    path(f"{Q}open-link/", views.open_link, name="open_link"),
    path(f"{Q}open-link/poster.pdf", views.open_link_poster, name="open_link_poster"),
    path(f"{Q}paper.pdf", views.paper_pdf, name="paper_pdf"),
    path(f"{Q}paper/", views.paper_entry, name="paper_entry"),
    path(f"{Q}paper/received/", views.paper_received, name="paper_received"),
]
