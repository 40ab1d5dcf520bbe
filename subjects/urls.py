from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("audit/", views.audit_log, name="audit_log"),
    path("system/status/", views.system_status, name="system_status"),
    path("healthz", views.healthz, name="healthz"),
]
