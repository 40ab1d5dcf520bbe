"""The audit trail helper that every service calls after a decision (R21).

    record(actor=request.user, action="review.phase_changed", target=review,
           summary="将评议活动推进到调查/初评阶段", data={"from": "prepare", "to": "investigate"})

The request id and client address come from the request context; in a Celery task or a
management command they are empty and the actor is whoever the service was told acted.
"""

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
    return AuditEvent.objects.create(
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
