"""Invitations (R7): batches of one-time codes for a named audience.

The plain codes exist only in the return value of `issue_batch` — printed on slips, put in
emails or never shown (account invitations) — and are stored as hashes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from subjects.audit import record

from .models import Invitation, InvitationBatch, Questionnaire
from .responses import hash_code, live_invitations, new_code

MAX_BATCH = 2000


@transaction.atomic
def issue_batch(
    *,
    actor,
    questionnaire: Questionnaire,
    label: str,
    delivery: str,
    count: int = 0,
    users=(),
    emails=(),
) -> tuple[InvitationBatch, list[tuple[Invitation, str]]]:
    """Create a batch and return it with (invitation, plain code) pairs.

    slips: `count` anonymous codes; email: one per address; accounts: one per user (a user
    already invited to this questionnaire is skipped).
    """
    if questionnaire.status() == "closed":
        raise ValidationError("问卷已截止，不能再发放邀请。")
    Delivery = InvitationBatch.Delivery
    if delivery == Delivery.SLIPS:
        targets = [{} for _ in range(count)]
    elif delivery == Delivery.EMAIL:
        targets = [{"email": e.strip()} for e in dict.fromkeys(emails) if e.strip()]
    elif delivery == Delivery.ACCOUNTS:
        already = set(
            Invitation.objects.filter(questionnaire=questionnaire, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        targets = [{"user": u} for u in users if u.pk not in already]
    else:
        raise ValidationError("发放方式无效。")
    if not targets:
        raise ValidationError("没有需要发放邀请的对象。")
    if len(targets) > MAX_BATCH:
        raise ValidationError(f"一批最多生成 {MAX_BATCH} 个邀请。")
    batch = InvitationBatch.objects.create(
        questionnaire=questionnaire,
        label=label,
        delivery=delivery,
        count=len(targets),
        created_by=actor,
    )
    pairs = []
    for target in targets:
        code = new_code()
        pairs.append(
            (
                Invitation(
                    batch=batch, questionnaire=questionnaire, token_hash=hash_code(code), **target
                ),
                code,
            )
        )
    Invitation.objects.bulk_create([invitation for invitation, _ in pairs])
    record(
        actor=actor,
        action="survey.invitations_issued",
        target=questionnaire,
        summary=f"为问卷“{questionnaire.title}”生成 {len(pairs)} 个邀请（{batch.label}）",
        data={"batch": batch.pk, "delivery": delivery, "count": len(pairs)},
    )
    return batch, pairs


@transaction.atomic
def void_batch(*, actor, batch: InvitationBatch) -> InvitationBatch:
    """Unused codes of a voided batch stop working; answers already given stay."""
    if batch.voided_at:
        raise ValidationError("该批邀请已经作废。")
    batch.voided_at = timezone.now()
    batch.save(update_fields=["voided_at"])
    record(
        actor=actor,
        action="survey.invitations_voided",
        target=batch.questionnaire,
        summary=f"作废邀请批次“{batch.label}”",
        data={"batch": batch.pk},
    )
    return batch


# --- codes that live only in a worker (email invitations, reminders) ---------------------------


def rotate_code(invitation_id: int) -> str | None:
    """Give an unused invitation a fresh code and return it; the old code stops working.

    Codes are stored only as hashes, so an email (first send or reminder) cannot carry the
    code issued with the batch: the worker makes a new one and keeps only its hash. The
    conditional UPDATE (`used=False`, batch not voided) means a code consumed meanwhile is
    never revived. Returns None when there is nothing to rotate.
    """
    code = new_code()
    rotated = live_invitations().filter(pk=invitation_id).update(token_hash=hash_code(code))
    return code if rotated else None
