"""The audit trail helper that every service calls after a decision (R21).

    record(actor=request.user, action="review.phase_changed", target=review,
           summary="将评议活动推进到调查/初评阶段", data={"from": "prepare", "to": "investigate"})

The request id and client address come from the request context; in a Celery task or a
management command they are empty and the actor is whoever the service was told acted.
"""

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from . import requestctx
from .models import AuditEvent

# Human labels of action codes, filled by each app's `audit_actions` registration, used by
# the office's audit page to offer a readable filter.
ACTION_LABELS: dict[str, str] = {}


def register_actions(labels: dict[str, str]) -> None:
    ACTION_LABELS.update(labels)


register_actions(
    {
        "auth.login": "登录",
        "auth.logout": "退出登录",
        "auth.login_failed": "登录失败",
        "auth.locked_out": "账号临时锁定",
        "auth.password_changed": "修改密码",
        "security.denied": "越权访问被拒绝",
        "upload.refused": "上传文件被拒绝",
    }
)


# How an audited object leads to the review it belongs to (attribute paths, first hit wins).
REVIEW_PATHS = (
    "review_id",
    "subject.review_id",
    "meeting.review_id",
    "poll.meeting.review_id",
    "case.review_id",
    "round.case.review_id",
    "survey.review_id",
    "opinion.review_id",
)

# Decisions still allowed on an archived review: the archiving itself, and security events.
ARCHIVE_SAFE = ("review.phase_changed", "archive.", "auth.", "security.", "upload.refused")

ARCHIVED_MESSAGE = "该评议活动已归档，只能查阅，不能再修改。"


def review_of(target: models.Model | None) -> int | None:
    if target is None:
        return None
    if target._meta.label_lower == "reviews.review":
        return target.pk
    for path in REVIEW_PATHS:
        value = target
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except (AttributeError, ObjectDoesNotExist):
            continue
        if isinstance(value, int):
            return value
    return None


def _refuse_if_archived(review_id: int | None, action: str) -> None:
    """An archived review is read-only: every service records its decision before its
    transaction commits, so refusing the record here rolls the whole change back."""
    if review_id is None or action.startswith(ARCHIVE_SAFE):
        return
    review_model = apps.get_model("reviews", "Review")
    if review_model.objects.filter(pk=review_id, phase="archived").exists():
        raise ValidationError(ARCHIVED_MESSAGE)


def record(
    *,
    actor,
    action: str,
    summary: str,
    target: models.Model | None = None,
    data: dict | None = None,
) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    review_id = review_of(target)
    _refuse_if_archived(review_id, action)
    return AuditEvent.objects.create(
        review_id=review_id,
        actor=actor,
        actor_name=str(actor) if actor else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        summary=summary[:300],
        data=data or {},
        request_id=requestctx.request_id.get(),
        ip_address=requestctx.client_ip.get(),
    )
