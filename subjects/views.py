import re
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.celery import app as celery_app

from .access import authenticated, public, roles_required
from .audit import record
from .composition import add_member, composition_terms, members_of, update_member
from .exports import export_officials, import_template, xlsx_response
from .forms import (
    AuditFilterForm,
    CompositionAddForm,
    CompositionEditForm,
    CompositionTermForm,
    LoginForm,
    OfficialFilterForm,
    OfficialForm,
    RosterImportForm,
    UnitForm,
    errors_into_form,
)
from .imports import ImportFileError, ImportRejected, import_roster
from .models import CompositionMember, Official, ServiceHeartbeat, Unit
from .roles import Role
from .security import security_event
from .selectors import (
    audit_events,
    notifications_of,
    official_terms,
    official_with_history,
    officials,
    units_with_counts,
)
from .services import mark_notifications_read, save_official, save_unit


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


# --- The roster (名册) -----------------------------------------------------------------------


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _posted(request, attr="POST"):
    """The submitted data on POST (even when empty, so that it is validated), else None."""
    return getattr(request, attr) if request.method == "POST" else None


@roles_required(Role.OFFICE)
@require_http_methods(["GET"])
def roster_officials(request):
    form = OfficialFilterForm(request.GET or None, terms=official_terms())
    filters = form.filters()
    page = Paginator(officials(**filters), 50).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    return render(
        request,
        "subjects/roster/officials.html",
        {"form": form, "page": page, "query": query, "filtered": bool(filters)},
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def roster_official_new(request):
    form = OfficialForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        official = save_official(actor=request.user, data=form.cleaned_data)
        messages.success(request, f"已新增人员：{official.name}。")
        return redirect("roster_official_detail", pk=official.pk)
    return render(request, "subjects/roster/official_form.html", {"form": form, "official": None})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def roster_official_edit(request, pk):
    official = get_object_or_404(Official.objects.select_related("unit"), pk=pk)
    # The form writes typed values into its instance; the page heading keeps the saved ones.
    saved = Official(pk=official.pk, name=official.name)
    form = OfficialForm(_posted(request), instance=official)
    if request.method == "POST" and form.is_valid():
        before = official.updated_at
        official = save_official(actor=request.user, official=official, data=form.cleaned_data)
        if official.updated_at != before:
            messages.success(request, f"已保存 {official.name} 的修改。")
        else:
            messages.info(request, "没有修改任何内容。")
        return redirect("roster_official_detail", pk=official.pk)
    return render(request, "subjects/roster/official_form.html", {"form": form, "official": saved})


@roles_required(Role.OFFICE)
@require_http_methods(["GET"])
def roster_official_detail(request, pk):
    official = official_with_history(pk)
    return render(request, "subjects/roster/official_detail.html", {"official": official})


@roles_required(Role.OFFICE)
@require_http_methods(["GET"])
def roster_units(request):
    page = Paginator(units_with_counts(), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "subjects/roster/units.html",
        {"page": page, "query": _query_without_page(request)},
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def roster_unit_new(request):
    form = UnitForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        unit = save_unit(actor=request.user, data=form.cleaned_data)
        messages.success(request, f"已新增单位：{unit.name}。")
        return redirect("roster_units")
    return render(request, "subjects/roster/unit_form.html", {"form": form, "unit": None})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def roster_unit_edit(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    saved = Unit(pk=unit.pk, name=unit.name)
    form = UnitForm(_posted(request), instance=unit)
    if request.method == "POST" and form.is_valid():
        before = unit.updated_at
        unit = save_unit(actor=request.user, unit=unit, data=form.cleaned_data)
        if unit.updated_at != before:
            messages.success(request, f"已保存单位 {unit.name} 的修改。")
        else:
            messages.info(request, "没有修改任何内容。")
        return redirect("roster_units")
    return render(request, "subjects/roster/unit_form.html", {"form": form, "unit": saved})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def roster_import(request):
    form = RosterImportForm(_posted(request), _posted(request, "FILES"))
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_roster(actor=request.user, upload=upload, filename=upload.name)
        except ImportFileError as exc:
            security_event(
                "upload.refused",
                f"拒绝导入文件“{upload.name}”",
                actor=request.user,
                data={"filename": upload.name, "size": upload.size, "reason": str(exc)},
            )
            form.add_error("file", str(exc))
        except ImportRejected as exc:
            errors = exc.errors
        except IntegrityError:
            form.add_error("file", "导入时名册正被他人同时修改，未导入任何数据，请重新导入。")
        else:
            messages.success(request, result.message)
            return redirect("roster_officials")
    return render(
        request,
        "subjects/roster/import.html",
        {"form": form, "errors": errors, "bad_lines": len({e.line for e in errors})},
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET"])
def roster_import_template(request):
    return xlsx_response(import_template(), "名册导入模板.xlsx")


@roles_required(Role.OFFICE)
@require_http_methods(["GET"])
def roster_export(request):
    form = OfficialFilterForm(request.GET or None, terms=official_terms())
    content, count = export_officials(officials(**form.filters()))
    record(
        actor=request.user,
        action="roster.exported",
        summary=f"导出名册（{count} 人）",
        data={"count": count, "filters": _query_without_page(request)},
    )
    return xlsx_response(content, f"被任命人员名册_{timezone.localdate():%Y%m%d}.xlsx")


# --- Notifications -----------------------------------------------------------------------------


@authenticated
@require_http_methods(["GET"])
def notifications(request):
    page = Paginator(notifications_of(request.user), 30).get_page(request.GET.get("page"))
    for note in page.object_list:
        # Only links inside this site ("/reviews/3/"), never "javascript:" or "//host".
        note.safe_url = note.url if re.match(r"^/(?![/\\])", note.url) else ""
    return render(request, "subjects/notifications.html", {"page": page, "query": ""})


@authenticated
@require_http_methods(["POST"])
def notifications_read_all(request):
    count = mark_notifications_read(user=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读的通知。")
    return redirect("notifications")


# --- The standing committee's composition (常委会组成人员) -----------------------------------


def _composition_url(term: str) -> str:
    return f"{reverse('composition')}?{urlencode({'term': term})}"


@roles_required(Role.OFFICE)
@require_GET
def composition(request):
    terms = composition_terms()
    term = request.GET.get("term", "")
    if term not in terms:
        term = terms[0] if terms else ""
    members = members_of(term) if term else []
    active_count = sum(1 for member in members if member.is_active)
    return render(
        request,
        "subjects/composition.html",
        {
            "form": CompositionTermForm({"term": term}, terms=terms),
            "term": term,
            "members": members,
            "active_count": active_count,
            "majority": active_count // 2 + 1,
        },
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def composition_add(request):
    terms = composition_terms()
    term = request.GET.get("term", "")
    initial = {"term": term if term in terms else (terms[0] if terms else "")}
    form = CompositionAddForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = add_member(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已将 {member.user} 列为{member.term}常委会组成人员。")
            return redirect(_composition_url(member.term))
    return render(request, "subjects/composition_form.html", {"form": form, "member": None})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def composition_edit(request, pk):
    member = get_object_or_404(CompositionMember.objects.select_related("user"), pk=pk)
    initial = {"title": member.title, "order": member.order, "is_active": member.is_active}
    form = CompositionEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_member(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, f"已保存 {member.user} 的修改。")
            return redirect(_composition_url(member.term))
    return render(request, "subjects/composition_form.html", {"form": form, "member": member})
