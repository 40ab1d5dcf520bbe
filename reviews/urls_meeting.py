"""The meeting pages (Phase 3 评议会议). Included by reviews/urls.py inside
`app_name = "reviews"`."""

from django.urls import path

from . import meeting_views as views

urlpatterns = [
    # The office and the chair.
    path("meetings/", views.meeting_list, name="meetings"),
    path("reviews/<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/move/", views.agenda_move, name="agenda_move"),
    path("meetings/<int:pk>/checkin/", views.checkin_desk, name="checkin_desk"),
    path("meetings/<int:pk>/checkin/<int:user_pk>/", views.checkin_person, name="checkin_person"),
    path("meetings/<int:pk>/inquiries/", views.inquiries, name="inquiries"),
    path(
        "meetings/<int:pk>/inquiries/<int:inquiry_pk>/call/",
        views.inquiry_call,
        name="inquiry_call",
    ),
    path(
        "meetings/<int:pk>/inquiries/<int:inquiry_pk>/answer/",
        views.inquiry_answer,
        name="inquiry_answer",
    ),
    path("meetings/<int:pk>/control/", views.control, name="control"),
    path("meetings/<int:pk>/control/current/", views.set_current, name="set_current"),
    path("meetings/<int:pk>/polls/new/", views.poll_create, name="poll_create"),
    path("meetings/<int:pk>/screen/", views.screen, name="screen"),
    path("meetings/<int:pk>/screen/live/", views.screen_live, name="screen_live"),
    path("polls/<int:pk>/open/", views.poll_open, name="poll_open"),
    path("polls/<int:pk>/close/", views.poll_close, name="poll_close"),
    path("polls/<int:pk>/publish/", views.poll_publish, name="poll_publish"),
    path("polls/<int:pk>/public/", views.poll_make_public, name="poll_make_public"),
    path("polls/<int:pk>/codes/", views.voter_codes, name="voter_codes"),
    path("polls/<int:pk>/paper/", views.paper_entry, name="paper_entry"),
    path("polls/<int:pk>/results/", views.poll_results, name="poll_results"),
    path("polls/<int:pk>/results.xlsx", views.poll_results_xlsx, name="poll_results_xlsx"),
    # Members and deputies, on their phones.
    path("meetings/<int:pk>/checkin/<str:token>/", views.self_checkin, name="self_checkin"),
    path("meetings/<int:pk>/attend/", views.attend, name="attend"),
    path("meetings/<int:pk>/attend/status/", views.attend_status, name="attend_status"),
    path("meetings/<int:pk>/ask/", views.ask, name="ask"),
    path(
        "meetings/<int:pk>/inquiries/<int:inquiry_pk>/withdraw/",
        views.inquiry_withdraw,
        name="inquiry_withdraw",
    ),
    path("polls/<int:pk>/ballot/", views.ballot, name="ballot"),
    path("polls/<int:pk>/ballot/done/", views.ballot_done, name="ballot_done"),
    # Deputies without accounts: a one-time code from a printed slip, no login.
    path("vote/", views.vote_with_code, name="vote_with_code"),
    path("vote/done/", views.vote_code_done, name="vote_code_done"),
]
