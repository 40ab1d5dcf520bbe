from django.urls import path

from . import views
from .urls_distribute import urlpatterns as distribute_urlpatterns
from .urls_duty import urlpatterns as duty_urlpatterns
from .urls_investigation import urlpatterns as investigation_urlpatterns
from .urls_office import urlpatterns as office_urlpatterns
from .urls_respond import urlpatterns as respond_urlpatterns

app_name = "surveys"
urlpatterns = [
    path("deputy/", views.deputy_home, name="deputy_home"),
    # Office staff: building questionnaires, results and exports.
    *office_urlpatterns,
    # Office staff: invitations, the open link, paper forms.
    *distribute_urlpatterns,
    # Respondents (no account needed), and deputies answering from their account.
    *respond_urlpatterns,
    # Working groups: activities, the 问题清单 and 调查报告; the council hears reports.
    *investigation_urlpatterns,
    # 述职报告: officials upload, the office accepts and distributes, members read.
    *duty_urlpatterns,
]
