from django.urls import path

from . import portal, public, views
from .urls_meeting import urlpatterns as meeting_urlpatterns
from .urls_office import urlpatterns as office_urlpatterns

app_name = "reviews"
urlpatterns = [
    # Home pages of the roles whose work centres on reviews.
    path("office/", views.office_home, name="office_home"),
    path("council/", views.council_home, name="council_home"),
    path("groups/", views.group_home, name="group_home"),
    path("member/", views.member_home, name="member_home"),
    # Reviewed officials and unit contacts: their own enrolments only.
    path("my/", portal.official_home, name="official_home"),
    path("my/subjects/<int:pk>/", portal.official_subject, name="official_subject"),
    path("my/subjects/<int:pk>/plan/", portal.plan_document, name="official_plan_document"),
    # Published announcements (公示), no login.
    path("public/", public.index, name="public_index"),
    path("public/reviews/<int:pk>/", public.review, name="public_review"),
    # Office staff, the leading group and working groups.
    *office_urlpatterns,
    # The review meeting, 询问 and the secret ballot.
    *meeting_urlpatterns,
]
