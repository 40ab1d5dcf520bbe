"""The open link (R8): anyone may answer, within reason.

- A signed cookie per questionnaire marks a browser that has answered: the same browser sees
  "您已填写过本问卷" and a second submission is refused.
- Submissions per IP address and hour are limited (`PINGYI_OPEN_LINK_PER_IP_HOUR`, default 30).
- A response from an address that already submitted within the hour is stored, but marked
  `suspicious` for staff to see.

Addresses are only ever kept as an HMAC, in the cache, for an hour; never in the database.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac

from subjects.security import client_ip
from subjects.throttle import count_in_window

from .models import Questionnaire, Response
from .responses import submit_open

COOKIE_SALT = "surveys.openlink"
COOKIE_MAX_AGE = 365 * 24 * 3600
WINDOW = 3600


class OpenLinkThrottled(ValidationError):
    def __init__(self):
        super().__init__("同一网络在一小时内提交的问卷过多，请稍后再试。")


class AlreadyAnswered(ValidationError):
    def __init__(self):
        super().__init__("您已填写过本问卷，感谢您的参与。")


def per_ip_hour() -> int:
    return int(getattr(settings, "PINGYI_OPEN_LINK_PER_IP_HOUR", 30))


def cookie_name(questionnaire: Questionnaire) -> str:
    return f"pingyi_survey_{questionnaire.pk}"


def has_answered(request, questionnaire: Questionnaire) -> bool:
    value = request.get_signed_cookie(
        cookie_name(questionnaire), default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE
    )
    return value == questionnaire.public_token


def mark_answered(request, http_response, questionnaire: Questionnaire) -> None:
    http_response.set_signed_cookie(
        cookie_name(questionnaire),
        questionnaire.public_token,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def _ip_key(request, questionnaire: Questionnaire) -> str:
    digest = salted_hmac(COOKIE_SALT, client_ip(request) or "unknown").hexdigest()[:32]
    return f"survey-open:{questionnaire.pk}:{digest}"


def is_throttled(request, questionnaire: Questionnaire) -> bool:
    return cache.get(_ip_key(request, questionnaire), 0) >= per_ip_hour()


def submit(request, questionnaire: Questionnaire, rows: list[dict]) -> Response:
    """Store an open-link response after R8's checks. The caller sets the cookie."""
    if has_answered(request, questionnaire):
        raise AlreadyAnswered()
    if is_throttled(request, questionnaire):
        raise OpenLinkThrottled()
    count = count_in_window(_ip_key(request, questionnaire), WINDOW)
    if count > per_ip_hour():  # another request from the same address got in first
        raise OpenLinkThrottled()
    return submit_open(questionnaire, rows, suspicious=count > 1)
