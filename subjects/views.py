from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

from .access import authenticated, public, roles_required
from .audit import record
from .forms import AuditFilterForm, LoginForm
from .models import ServiceHeartbeat
from .roles import Role
from .selectors import audit_events


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        record(actor=self.request.user, action="auth.password_changed", summary="修改了登录密码")
        messages.success(self.request, "密码已修改。")
        return response


login = public(LoginView.as_view())
logout = authenticated(auth_views.LogoutView.as_view())
password_change = authenticated(PasswordChangeView.as_view())


@roles_required(Role.OFFICE)
@require_GET
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(audit_events(**filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "subjects/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )


HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any failure here means "not reachable" on the status page
        return False


@roles_required(Role.OFFICE)
@require_GET
def system_status(request):
    beat = ServiceHeartbeat.objects.filter(name="celery").first()
    now = timezone.now()
    return render(
        request,
        "subjects/system_status.html",
        {
            "database_vendor": connection.vendor,
            "broker_ok": _broker_ok(),
            "broker_url": celery_app.conf.broker_url.split("@")[-1],
            "heartbeat": beat,
            "heartbeat_fresh": bool(beat and now - beat.last_seen < HEARTBEAT_STALE_AFTER),
        },
    )


@public
@never_cache
@require_GET
def healthz(request):
    """For load balancers: answers 200 when this node can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
