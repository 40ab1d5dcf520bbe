"""Distributing a questionnaire: invitation batches (slips, email, deputies' accounts) and
their reminders, the open link, and paper forms (the count received, forms keyed in).

Codes never exist in plain text outside the response that prints the slips and the worker
that sends an email (see `invitations.rotate_code`); everything here sees hashes only.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from reviews.selectors import visible_reviews
from subjects.audit import record, register_actions
from subjects.models import User
from subjects.notifications import notify
from subjects.roles import Role

from .invitations import issue_batch
from .models import Channel, Invitation, InvitationBatch, Questionnaire, Response
from .responses import submit_paper

register_actions(
    {
        "survey.invitations_issued": "生成问卷邀请",
        "survey.invitations_voided": "作废问卷邀请批次",
        "survey.invitations_reminded": "发送问卷提醒",
        "survey.open_link_changed": "开关问卷公开链接",
        "survey.paper_received": "登记收回纸质问卷份数",
        "survey.paper_entered": "录入纸质问卷",
    }
)

Delivery = InvitationBatch.Delivery
MAX_EMAIL_LINES = 2000


# --- fetchers and read queries ------------------------------------------------------------------


def get_batch_for_office(user, pk: int) -> InvitationBatch:
    batch = (
        InvitationBatch.objects.select_related("questionnaire__review")
        .filter(pk=pk, questionnaire__review__in=visible_reviews(user))
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def batches_of(questionnaire: Questionnaire) -> list[InvitationBatch]:
    """Batches with `used` and `pending` (unused) counts, in one query."""
    return list(
        InvitationBatch.objects.filter(questionnaire=questionnaire)
        .annotate(
            used_count=Count("invitations", filter=Q(invitations__used=True)),
            pending_count=Count("invitations", filter=Q(invitations__used=False)),
        )
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def active_deputies() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, role_grants__role=Role.DEPUTY)
        .distinct()
        .order_by("full_name", "username")
    )


def answer_code_path(code: str) -> str:
    """The respondent's page for one invitation code (what a slip's QR code opens)."""
    return reverse("surveys:respond_with_code", kwargs={"code": code})


def code_entry_path() -> str:
    """The short page where a respondent types the code of a slip."""
    return reverse("surveys:respond_code")


def open_link_path(questionnaire: Questionnaire) -> str:
    return reverse("surveys:respond_open", kwargs={"token": questionnaire.public_token})


def absolute(path: str) -> str:
    from django.conf import settings

    return f"{settings.PINGYI_SITE_URL.rstrip('/')}{path}"


# --- invitation batches -------------------------------------------------------------------------


def parse_emails(text: str) -> list[str]:
    """One address per line; blank lines are skipped, repeats kept once. Any invalid line
    refuses the whole list, naming its line numbers."""
    emails: list[str] = []
    bad: list[str] = []
    lines = text.splitlines()
    if len(lines) > MAX_EMAIL_LINES:
        raise ValidationError(f"一次最多填写 {MAX_EMAIL_LINES} 行。")
    for number, line in enumerate(lines, start=1):
        address = line.strip().strip(",;，；")
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(f"第 {number} 行“{address[:40]}”")
            continue
        emails.append(address.lower())
    if bad:
        raise ValidationError("以下邮箱地址格式不正确，请改正后再提交：" + "；".join(bad) + "。")
    if not emails:
        raise ValidationError("请至少填写一个邮箱地址，每行一个。")
    return list(dict.fromkeys(emails))


def issue_slips(*, actor, questionnaire: Questionnaire, label: str, count: int):
    """Slips: the (batch, codes) pair; the codes go straight into the PDF and nowhere else."""
    batch, pairs = issue_batch(
        actor=actor, questionnaire=questionnaire, label=label, delivery=Delivery.SLIPS, count=count
    )
    return batch, [code for _, code in pairs]


@transaction.atomic
def issue_emails(
    *, actor, questionnaire: Questionnaire, label: str, emails: list[str]
) -> InvitationBatch:
    """Email invitations: each is sent by its own task after commit (R17), which makes the
    code the email carries (the code made here is dropped unseen)."""
    from .mail_tasks import send_invitation_email

    batch, pairs = issue_batch(
        actor=actor,
        questionnaire=questionnaire,
        label=label,
        delivery=Delivery.EMAIL,
        emails=emails,
    )
    ids = list(batch.invitations.values_list("pk", flat=True))
    transaction.on_commit(lambda: [send_invitation_email.delay(pk) for pk in ids])
    return batch


@transaction.atomic
def issue_accounts(*, actor, questionnaire: Questionnaire, label: str, users) -> InvitationBatch:
    """Invitations addressed to deputies' accounts, each announced in the app."""
    users = list(users)
    batch, pairs = issue_batch(
        actor=actor,
        questionnaire=questionnaire,
        label=label,
        delivery=Delivery.ACCOUNTS,
        users=users,
    )
    url = reverse("surveys:deputy_home")
    now = timezone.now()
    for invitation, _ in pairs:
        notify(
            recipient=invitation.user,
            title=f"请填写问卷：{questionnaire.title}",
            body=f"填写截止时间：{timezone.localtime(questionnaire.closes_at):%Y-%m-%d %H:%M}。"
            "请在“我的问卷”中填写，问卷不记名。",
            url=url,
        )
    Invitation.objects.filter(batch=batch).update(sent_at=now)
    return batch


@transaction.atomic
def void(*, actor, batch: InvitationBatch) -> InvitationBatch:
    from .invitations import void_batch

    batch = InvitationBatch.objects.select_for_update().get(pk=batch.pk)
    return void_batch(actor=actor, batch=batch)


def remindable(batch: InvitationBatch) -> QuerySet[Invitation]:
    return Invitation.objects.filter(batch=batch, used=False)


@transaction.atomic
def remind(*, actor, batch: InvitationBatch) -> int:
    """Remind the invitations of a batch that are not used yet; returns how many.

    Email: a task per invitation makes a new code (the old link stops working) and mails it.
    Accounts: an in-app notification. Slips were handed out on paper: nobody to remind.
    """
    from .mail_tasks import send_invitation_reminder

    batch = (
        InvitationBatch.objects.select_for_update().select_related("questionnaire").get(pk=batch.pk)
    )
    questionnaire = batch.questionnaire
    if batch.delivery == Delivery.SLIPS:
        raise ValidationError("纸质邀请条已当面发放，系统无法提醒持条人；请另行通知。")
    if batch.voided_at:
        raise ValidationError("该批邀请已作废，不能发送提醒。")
    if not questionnaire.is_accepting():
        raise ValidationError("问卷不在填写时间内，不能发送提醒。")
    pending = list(remindable(batch).select_related("user"))
    if not pending:
        raise ValidationError("该批邀请都已使用，没有需要提醒的对象。")
    now = timezone.now()
    if batch.delivery == Delivery.EMAIL:
        ids = [invitation.pk for invitation in pending]
        requested = now.isoformat()
        transaction.on_commit(lambda: [send_invitation_reminder.delay(pk, requested) for pk in ids])
    else:
        url = reverse("surveys:deputy_home")
        for invitation in pending:
            notify(
                recipient=invitation.user,
                title=f"提醒：请填写问卷“{questionnaire.title}”",
                body=f"您还没有填写该问卷，截止时间为"
                f"{timezone.localtime(questionnaire.closes_at):%Y-%m-%d %H:%M}。",
                url=url,
            )
        Invitation.objects.filter(pk__in=[i.pk for i in pending], used=False).update(
            reminded_at=now
        )
    record(
        actor=actor,
        action="survey.invitations_reminded",
        target=questionnaire,
        summary=f"向邀请批次“{batch.label}”中尚未填写的 {len(pending)} 人发送提醒",
        data={"batch": batch.pk, "count": len(pending)},
    )
    return len(pending)


# --- the open link ------------------------------------------------------------------------------


@transaction.atomic
def set_open_link(*, actor, questionnaire: Questionnaire, enabled: bool) -> Questionnaire:
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.open_link == enabled:
        return questionnaire
    questionnaire.open_link = enabled
    questionnaire.save(update_fields=["open_link"])
    record(
        actor=actor,
        action="survey.open_link_changed",
        target=questionnaire,
        summary=f"{'开启' if enabled else '关闭'}问卷“{questionnaire.title}”的公开链接",
        data={"open_link": enabled},
    )
    return questionnaire


# --- paper forms --------------------------------------------------------------------------------


@dataclass
class PaperCount:
    received: int
    entered: int

    @property
    def missing(self) -> int:
        return max(self.received - self.entered, 0)

    @property
    def over(self) -> bool:
        return self.entered > self.received

    @property
    def text(self) -> str:
        if self.over:
            return (
                f"已录入 {self.entered} 份，多于登记收回的 {self.received} 份，"
                "请核对收回份数，或检查是否重复录入。"
            )
        if self.received == 0:
            return "尚未登记收回的纸质问卷份数。"
        if self.missing == 0:
            return f"收回 {self.received} 份，已全部录入。"
        return f"收回 {self.received} 份，已录入 {self.entered} 份，还差 {self.missing} 份。"


def paper_count(questionnaire: Questionnaire) -> PaperCount:
    entered = Response.objects.filter(questionnaire=questionnaire, channel=Channel.PAPER).count()
    return PaperCount(received=questionnaire.paper_received, entered=entered)


@transaction.atomic
def set_paper_received(*, actor, questionnaire: Questionnaire, received: int) -> Questionnaire:
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    before = questionnaire.paper_received
    if received < 0:
        raise ValidationError({"paper_received": "份数不能小于 0。"})
    questionnaire.paper_received = received
    questionnaire.save(update_fields=["paper_received"])
    record(
        actor=actor,
        action="survey.paper_received",
        target=questionnaire,
        summary=f"登记问卷“{questionnaire.title}”收回纸质问卷 {received} 份（原为 {before} 份）",
        data={"before": before, "after": received},
    )
    return questionnaire


@transaction.atomic
def enter_paper(*, actor, questionnaire: Questionnaire, rows: list[dict]) -> int:
    """Store one keyed-in paper form; returns how many paper forms are entered now. The
    audit event says that a form was entered, never what it says."""
    submit_paper(questionnaire, rows, entered_by=actor)
    entered = Response.objects.filter(questionnaire=questionnaire, channel=Channel.PAPER).count()
    record(
        actor=actor,
        action="survey.paper_entered",
        target=questionnaire,
        summary=f"录入问卷“{questionnaire.title}”纸质问卷第 {entered} 份",
        data={"entered": entered},
    )
    return entered
