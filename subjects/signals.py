"""Security events from django.contrib.auth and django-axes (R22)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .security import security_event


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    security_event("auth.login", f"{user} 登录", actor=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        security_event("auth.logout", f"{user} 退出登录", actor=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Django passes credentials with the password already masked; keep only the login name.
    attempted = str(credentials.get("username", ""))[:64]
    security_event("auth.login_failed", f"登录失败：{attempted}", data={"username": attempted})


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    security_event(
        "auth.locked_out",
        f"连续登录失败，已临时锁定：{username}",
        data={"username": str(username)[:64]},
    )
