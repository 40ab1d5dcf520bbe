"""`{% duty_report_panel subject %}` on the official's page and `{% duty_reports_card review %}`
on the review page: the 述职报告 pieces other apps' templates include without their views
knowing about them."""

from django import template
from django.conf import settings as django_settings
from django.utils import timezone

from subjects.roles import Role, has_role
from subjects.widgets import bootstrap

from .. import duty_reports
from ..forms_duty import UploadForm
from ..models import DutyReport
from ..selectors_duty import duty_counts

register = template.Library()


def time_left(due_at, now=None) -> str:
    now = now or timezone.now()
    if due_at is None:
        return ""
    if now > due_at:
        return "已截止"
    days = (timezone.localdate(due_at) - timezone.localdate(now)).days
    if days <= 0:
        return "今天截止"
    return f"还剩 {days} 天"


@register.inclusion_tag("surveys/duty/_official_panel.html", takes_context=True)
def duty_report_panel(context, subject):
    review = subject.review
    settings = duty_reports.settings_for(review)
    report = DutyReport.objects.select_related("current").filter(subject=subject).first()
    versions = list(report.versions.all()) if report is not None else []
    form = bootstrap(context.get("duty_form") or UploadForm())
    return {
        "subject": subject,
        "review": review,
        "settings": settings,
        "report": report,
        "versions": versions,
        "refusal": duty_reports.upload_refusal(review, settings),
        "time_left": time_left(settings.due_at),
        "form": form,
        "max_mb": django_settings.PINGYI_MAX_UPLOAD_MB,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("surveys/partials/_duty_card.html", takes_context=True)
def duty_reports_card(context, review):
    request = context.get("request")
    user = getattr(request, "user", None)
    settings = duty_reports.settings_for(review)
    return {
        "review": review,
        "settings": settings,
        "counts": duty_counts(review),
        "time_left": time_left(settings.due_at),
        "can_open": user is not None
        and has_role(user, Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER),
        "is_office": user is not None and has_role(user, Role.OFFICE),
    }
