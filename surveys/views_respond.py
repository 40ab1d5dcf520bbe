"""Answering questionnaires: respondents without accounts (an invitation code from a slip,
or the open link) and deputies answering from "我的问卷".

Nothing here records who answered: no audit entry, no log line and no session key is
written for a response (R7). Wrong codes are counted per address in the cache, and a
security event is recorded when an address reaches the limit.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from subjects.access import public, roles_required
from subjects.roles import Role
from subjects.throttle import FailureThrottle
from subjects.widgets import bootstrap

from . import openlink
from .models import Invitation, Questionnaire
from .responses import (
    CODE_LENGTH,
    InvitationUnknown,
    InvitationUsed,
    QuestionnaireNotOpen,
    find_invitation,
    parse_answers,
    questionnaire_for_code,
    structure_for_answering,
    submit_with_account,
    submit_with_code,
)

PLAIN = "base_plain.html"
ACCOUNT = "base.html"

CODE_THROTTLE = FailureThrottle(
    prefix="survey-code-fail", event="survey.code_throttled", what="问卷邀请码"
)
THROTTLED_MESSAGE = "邀请码输错次数过多，请 15 分钟后再试，或向发放问卷的工作人员求助。"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="邀请码",
        max_length=20,
        error_messages={"required": "请输入邀请条上的 8 位邀请码。"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        return normalise(self.cleaned_data["code"])


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


# --- pages -----------------------------------------------------------------------------------


def _message(request, kind: str, *, questionnaire=None, base=PLAIN, status=200, **extra):
    """The pages shown instead of the questionnaire: closed, used, unknown, done …"""
    context = {"kind": kind, "questionnaire": questionnaire, "base_template": base, **extra}
    return render(request, "surveys/respond/message.html", context, status=status)


def _not_open(request, questionnaire, base=PLAIN, status=200):
    state = questionnaire.status()
    kind = "scheduled" if state in ("scheduled", "draft") else "closed"
    return _message(request, kind, questionnaire=questionnaire, base=base, status=status)


def _answer_page(request, questionnaire, *, action, storage_key, base=PLAIN, **extra):
    """GET: the empty questionnaire. POST: check, then `store(rows)`; errors keep every
    answer. Returns (rows or None, the page to show when rows is None)."""
    structure = structure_for_answering(questionnaire)
    values, errors = None, {}
    if request.method == "POST":
        rows, errors = parse_answers(structure, request.POST)
        if not errors:
            return rows, None
        values = request.POST
    context = {
        "questionnaire": questionnaire,
        "structure": structure,
        "values": values,
        "errors": errors,
        "preview": False,
        "action": action,
        "storage_key": storage_key,
        "base_template": base,
        **extra,
    }
    return None, render(request, "surveys/respond/answer.html", context)


def _storage_key(questionnaire, who: str) -> str:
    return f"pingyi-survey:{questionnaire.pk}:{who}"


# --- invitation codes (R7) ---------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
@never_cache
def code_entry(request):
    """Type the 8-character code of a slip; a known code leads to its questionnaire."""
    if request.method == "GET":
        form = CodeForm(initial={"code": request.GET.get("code", "")})
        return render(request, "surveys/respond/code.html", {"form": bootstrap(form)})
    form = CodeForm(request.POST)
    status = 200
    if CODE_THROTTLE.blocked(request):
        form.is_valid()
        form.add_error(None, THROTTLED_MESSAGE)
        status = 429
    elif form.is_valid():
        code = form.cleaned_data["code"]
        if find_invitation(code) is not None:
            return redirect("surveys:respond_with_code", code=code)
        CODE_THROTTLE.failed(request)
        form.add_error("code", InvitationUnknown().messages[0])
    return render(request, "surveys/respond/code.html", {"form": bootstrap(form)}, status=status)


@public
@require_http_methods(["GET", "POST"])
@never_cache
def answer_with_code(request, code):
    """The answer page a slip's QR code opens. The code stays in the URL and the form; it is
    never put in the session."""
    code = normalise(code)
    if CODE_THROTTLE.blocked(request):
        return _message(request, "throttled", status=429)
    questionnaire = questionnaire_for_code(code) if len(code) == CODE_LENGTH else None
    if questionnaire is None:
        CODE_THROTTLE.failed(request)
        return _message(request, "unknown", status=404)
    if questionnaire.invitation_used:
        return _message(request, "used", questionnaire=questionnaire)
    if not questionnaire.is_accepting():
        return _not_open(request, questionnaire)
    rows, page = _answer_page(
        request,
        questionnaire,
        # Lazy: an accepted submission is a redirect and never renders the form's URL.
        action=reverse_lazy("surveys:respond_with_code", args=[code]),
        storage_key=_storage_key(questionnaire, code),
    )
    if rows is None:
        return page
    try:
        submit_with_code(questionnaire, code, rows)
    except InvitationUsed:
        return _message(request, "used", questionnaire=questionnaire, status=409)
    except QuestionnaireNotOpen:
        return _not_open(request, questionnaire, status=409)
    except InvitationUnknown:  # its batch was voided while the respondent was answering
        return _message(request, "unknown", status=404)
    return redirect("surveys:respond_done", pk=questionnaire.pk)


@public
@require_GET
def done(request, pk):
    """The thank-you page; survey.js clears the answers kept in the browser for `pk`."""
    return _message(request, "done", clear_key=f"pingyi-survey:{pk}:")


# --- the open link (R8) ------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
@never_cache
def answer_open(request, token):
    questionnaire = Questionnaire.objects.filter(
        public_token=token, open_link=True, published_at__isnull=False
    ).first()
    if questionnaire is None:
        raise Http404("问卷链接无效")
    if openlink.has_answered(request, questionnaire):
        return _message(
            request,
            "answered",
            questionnaire=questionnaire,
            status=409 if request.method == "POST" else 200,
        )
    if not questionnaire.is_accepting():
        return _not_open(request, questionnaire)
    rows, page = _answer_page(
        request,
        questionnaire,
        action=reverse("surveys:respond_open", args=[token]),
        storage_key=_storage_key(questionnaire, "open"),
    )
    if rows is None:
        return page
    try:
        openlink.submit(request, questionnaire, rows)
    except openlink.OpenLinkThrottled:
        return _message(request, "open_throttled", questionnaire=questionnaire, status=429)
    except QuestionnaireNotOpen:
        return _not_open(request, questionnaire, status=409)
    response = redirect("surveys:respond_done", pk=questionnaire.pk)
    openlink.mark_answered(request, response, questionnaire)
    return response


# --- deputies with accounts --------------------------------------------------------------------


def get_invitation_for_deputy(user, pk) -> Invitation:
    """The deputy's own invitation to a published questionnaire; anything else is 404."""
    invitation = (
        Invitation.objects.select_related("questionnaire", "batch")
        .filter(questionnaire_id=pk, user=user, questionnaire__published_at__isnull=False)
        .first()
    )
    if invitation is None:
        raise Http404("没有这份问卷")
    return invitation


@roles_required(Role.DEPUTY)
@require_http_methods(["GET", "POST"])
@never_cache
def answer_as_deputy(request, pk):
    invitation = get_invitation_for_deputy(request.user, pk)
    questionnaire = invitation.questionnaire
    if invitation.used:
        return _message(request, "answered", questionnaire=questionnaire, base=ACCOUNT)
    if invitation.batch.voided_at is not None:
        return _message(request, "voided", questionnaire=questionnaire, base=ACCOUNT)
    if not questionnaire.is_accepting():
        return _not_open(request, questionnaire, base=ACCOUNT)
    rows, page = _answer_page(
        request,
        questionnaire,
        action=reverse("surveys:respond_account", args=[pk]),
        storage_key=_storage_key(questionnaire, f"u{request.user.pk}"),
        base=ACCOUNT,
    )
    if rows is None:
        return page
    try:
        submit_with_account(questionnaire, request.user, rows)
    except ValidationError as error:
        if isinstance(error, InvitationUsed):
            return _message(
                request, "answered", questionnaire=questionnaire, base=ACCOUNT, status=409
            )
        if isinstance(error, QuestionnaireNotOpen):
            return _not_open(request, questionnaire, base=ACCOUNT, status=409)
        return _message(request, "voided", questionnaire=questionnaire, base=ACCOUNT, status=409)
    return redirect("surveys:respond_done", pk=questionnaire.pk)
