"""Invitation emails. Codes are stored only as hashes, so each email carries a code made in
the worker (`invitations.rotate_code`): the plain code exists only here and in the email.

Safe to run twice: the first send claims `sent_at`, a reminder claims `reminded_at` against
the time it was requested, both with a conditional UPDATE, so a redelivered task sends
nothing more. A failed send gives the claim back for the bounded retry.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime

__all__ = ["send_invitation_email", "send_invitation_reminder"]


def _message(invitation, code: str, *, reminder: bool) -> tuple[str, str]:
    from .distribution import absolute, answer_code_path, code_entry_path

    questionnaire = invitation.questionnaire
    closes = timezone.localtime(questionnaire.closes_at)
    lines = [
        "您好！",
        "",
        f"诚邀您填写问卷“{questionnaire.title}”。问卷不记名，您的回答只用于统计。",
        "",
        "请打开下面的链接填写（每个链接只能提交一次）：",
        absolute(answer_code_path(code)),
        "",
        f"也可以打开 {absolute(code_entry_path())} 输入邀请码：{code}",
        f"填写截止时间：{closes:%Y年%m月%d日 %H:%M}",
    ]
    if reminder:
        lines[2:2] = [
            "您还没有填写下面的问卷，特此提醒。",
            "注意：为保证一人一份，此前邮件中的链接和邀请码已经失效，请使用本邮件中的新链接。",
            "",
        ]
    lines += ["", settings.DEFAULT_FROM_EMAIL]
    prefix = "【提醒】" if reminder else "【问卷邀请】"
    return f"{prefix}{questionnaire.title}", "\n".join(lines)


def _send(invitation, code: str, *, reminder: bool) -> None:
    subject, body = _message(invitation, code, reminder=reminder)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[invitation.email])


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_invitation_email(invitation_id: int):
    from .invitations import live_invitations, rotate_code
    from .models import Invitation

    claimed = (
        live_invitations()
        .filter(pk=invitation_id, sent_at__isnull=True)
        .update(sent_at=timezone.now())
    )
    if not claimed:
        return
    code = rotate_code(invitation_id)
    if code is None:
        return
    invitation = Invitation.objects.select_related("questionnaire").get(pk=invitation_id)
    try:
        _send(invitation, code, reminder=False)
    except OSError:
        Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
        raise


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_invitation_reminder(invitation_id: int, requested_at: str):
    """One reminder per request: claimed when `reminded_at` is older than the request."""
    from django.db.models import Q

    from .invitations import live_invitations, rotate_code
    from .models import Invitation

    requested = parse_datetime(requested_at)
    previous = (
        Invitation.objects.filter(pk=invitation_id).values_list("reminded_at", flat=True).first()
    )
    claimed = (
        live_invitations()
        .filter(pk=invitation_id)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=requested))
        .update(reminded_at=timezone.now())
    )
    if not claimed:
        return
    # A first send still queued would otherwise rotate the code again after this email.
    Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(sent_at=timezone.now())
    code = rotate_code(invitation_id)
    if code is None:
        return
    invitation = Invitation.objects.select_related("questionnaire").get(pk=invitation_id)
    try:
        _send(invitation, code, reminder=True)
    except OSError:
        Invitation.objects.filter(pk=invitation_id).update(reminded_at=previous)
        raise
