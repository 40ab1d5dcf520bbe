from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("office/", views.office_home, name="office_home"),
    path("council/", views.council_home, name="council_home"),
    path("groups/", views.group_home, name="group_home"),
    path("member/", views.member_home, name="member_home"),
    path("my/", views.official_home, name="official_home"),
]
