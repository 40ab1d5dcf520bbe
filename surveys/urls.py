from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("deputy/", views.deputy_home, name="deputy_home"),
]
