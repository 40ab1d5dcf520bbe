from django.urls import path

from . import views_respond as views

urlpatterns = [
    # Public: a slip's code typed in, or the QR code's link with the code in it (R7).
    path("s/", views.code_entry, name="respond_code"),
    path("s/c/<str:code>/", views.answer_with_code, name="respond_with_code"),
    # Public: the open link (R8).
    path("s/o/<str:token>/", views.answer_open, name="respond_open"),
    path("s/done/<int:pk>/", views.done, name="respond_done"),
    # Deputies with accounts, from "我的问卷".
    path("s/my/<int:pk>/", views.answer_as_deputy, name="respond_account"),
]
