from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from subjects.access import roles_required
from subjects.roles import Role

from .models import Invitation


@roles_required(Role.DEPUTY)
@require_GET
def deputy_home(request):
    """我的问卷: the questionnaires a deputy was invited to answer from their account — to
    answer, already answered, or not open (not yet / closed). One query."""
    invitations = (
        Invitation.objects.filter(user=request.user, questionnaire__published_at__isnull=False)
        .select_related("questionnaire__review", "batch")
        .order_by("questionnaire__closes_at", "questionnaire_id")
    )
    now = timezone.now()
    to_answer, answered, not_open = [], [], []
    for invitation in invitations:
        questionnaire = invitation.questionnaire
        if invitation.used:
            answered.append(questionnaire)
        elif invitation.batch.voided_at is not None:
            continue
        elif questionnaire.is_accepting(now):
            to_answer.append(questionnaire)
        else:
            not_open.append(questionnaire)
    return render(
        request,
        "surveys/home_deputy.html",
        {"to_answer": to_answer, "answered": answered, "not_open": not_open},
    )
