"""Distributing questionnaires: access to every 发放 view, slips as a one-time PDF, email
invitations and reminders (codes made in the worker), deputies' accounts, the open link."""

import re
import subprocess
from unittest import mock

import pytest
from django.apps import apps
from django.urls import reverse

from subjects.models import AuditEvent, Notification
from subjects.roles import Role
from surveys import distribution
from surveys.mail_tasks import send_invitation_email, send_invitation_reminder
from surveys.models import Invitation, InvitationBatch
from surveys.responses import hash_code, invitation_state, submit_with_code
from tests.factories import SubjectFactory, UserFactory, matrix_questionnaire

CODE_RE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}) ?([A-HJ-NP-Z2-9]{4})\b")
LINK_RE = re.compile(r"/s/c/([A-HJ-NP-Z2-9]{8})/")


@pytest.fixture
def questionnaire(office_clerk):
    from tests.factories import ReviewFactory

    review = ReviewFactory(created_by=office_clerk, title="2025 年度述职评议")
    subjects = [SubjectFactory(review=review) for _ in range(3)]
    return matrix_questionnaire(review, subjects, title="人大代表满意度测评问卷")


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def database_text() -> str:
    """Every stored value of every table, as one string (to look for plain codes)."""
    chunks = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


# --- access -----------------------------------------------------------------------------------

LOGIN = "login"


def _urls(questionnaire, batch):
    q = questionnaire.pk
    return {
        "distribution": ("get", reverse("surveys:distribution", args=[q])),
        "batch_create": ("post", reverse("surveys:batch_create", args=[q])),
        "batch_void": ("post", reverse("surveys:batch_void", args=[batch.pk])),
        "batch_remind": ("post", reverse("surveys:batch_remind", args=[batch.pk])),
        "open_link": ("get", reverse("surveys:open_link", args=[q])),
        "open_link_post": ("post", reverse("surveys:open_link", args=[q])),
        "open_link_poster": ("get", reverse("surveys:open_link_poster", args=[q])),
        "paper_pdf": ("get", reverse("surveys:paper_pdf", args=[q])),
        "paper_entry": ("get", reverse("surveys:paper_entry", args=[q])),
        "paper_entry_post": ("post", reverse("surveys:paper_entry", args=[q])),
        "paper_received": ("post", reverse("surveys:paper_received", args=[q])),
    }


VIEWS = [
    "distribution",
    "batch_create",
    "batch_void",
    "batch_remind",
    "open_link",
    "open_link_post",
    "open_link_poster",
    "paper_pdf",
    "paper_entry",
    "paper_entry_post",
    "paper_received",
]


def _state():
    q = apps.get_model("surveys", "Questionnaire").objects.values_list(
        "open_link", "paper_received"
    )
    return (
        InvitationBatch.objects.filter(voided_at__isnull=True).count(),
        Invitation.objects.count(),
        list(q),
        apps.get_model("surveys", "Response").objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize("view", VIEWS)
def test_only_office_reaches_distribution_views(
    client, view, questionnaire, office_clerk, personas, official_b
):
    batch, _ = distribution.issue_slips(
        actor=office_clerk, questionnaire=questionnaire, label="样例", count=2
    )
    method, url = _urls(questionnaire, batch)[view]
    data = {"delivery": "slips", "slips-label": "x", "slips-count": "1", "enabled": "1"}
    before = _state()
    # Anonymous: to the login page.
    response = getattr(client, method)(url, data if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # Every other role: 403, and nothing changed.
    for key in ("council", "group_member", "committee_member", "deputy", "official"):
        client.force_login(personas[key])
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 403, key
    client.force_login(official_b)
    assert getattr(client, method)(url, data if method == "post" else None).status_code == 403
    assert _state() == before
    # The office.
    client.force_login(office_clerk)
    response = getattr(client, method)(url, data if method == "post" else None)
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("view", ["batch_create", "batch_void", "batch_remind", "paper_received"])
def test_post_only_views_refuse_get(client, view, questionnaire, office_clerk):
    batch, _ = distribution.issue_slips(
        actor=office_clerk, questionnaire=questionnaire, label="样例", count=1
    )
    client.force_login(office_clerk)
    assert client.get(_urls(questionnaire, batch)[view][1]).status_code == 405


def test_unknown_questionnaire_and_batch_are_404(client, office_clerk):
    client.force_login(office_clerk)
    assert client.get(reverse("surveys:distribution", args=[999999])).status_code == 404
    assert client.get(reverse("surveys:paper_entry", args=[999999])).status_code == 404
    assert client.post(reverse("surveys:batch_void", args=[999999])).status_code == 404


# --- slips ------------------------------------------------------------------------------------


def test_slips_pdf_carries_codes_that_exist_only_as_hashes(
    client, questionnaire, office_clerk, tmp_path
):
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {"delivery": "slips", "slips-label": "县人大代表 10 名", "slips-count": "10"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    codes = {a + b for a, b in CODE_RE.findall(text)}
    assert len(codes) == 10
    assert "人大代表满意度测评问卷" in text and "截止时间" in text
    batch = InvitationBatch.objects.get()
    assert (batch.label, batch.delivery, batch.count) == ("县人大代表 10 名", "slips", 10)
    stored = set(batch.invitations.values_list("token_hash", flat=True))
    assert {hash_code(code) for code in codes} == stored
    for code in codes:
        assert invitation_state(questionnaire, code) == "ok"
    everything = database_text()
    assert not any(code in everything for code in codes)
    assert AuditEvent.objects.filter(action="survey.invitations_issued").count() == 1


def test_distribution_page_warns_the_slips_pdf_is_one_time(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    page = client.get(reverse("surveys:distribution", args=[questionnaire.pk])).content.decode()
    assert "PDF 只能下载一次" in page
    assert "作废该批次后重新生成" in page


def test_slips_form_error_keeps_typed_values(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {"delivery": "slips", "slips-label": "乡镇代表", "slips-count": "0"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "数量至少为 1" in page and 'value="乡镇代表"' in page
    assert not InvitationBatch.objects.exists()


def test_batch_list_shows_used_counts_in_fixed_queries(
    client, questionnaire, office_clerk, django_assert_max_num_queries
):
    for n in range(25):
        batch, codes = distribution.issue_slips(
            actor=office_clerk, questionnaire=questionnaire, label=f"批次{n:02d}", count=3
        )
    submit_with_code(questionnaire, codes[0], [])
    submit_with_code(questionnaire, codes[1], [])
    client.force_login(office_clerk)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("surveys:distribution", args=[questionnaire.pk]))
    rows = {b.label: b for b in response.context["batches"]}
    assert len(rows) == 25
    assert (rows["批次24"].used_count, rows["批次24"].pending_count) == (2, 1)
    assert rows["批次00"].used_count == 0


def test_void_batch_stops_its_codes(client, questionnaire, office_clerk):
    batch, codes = distribution.issue_slips(
        actor=office_clerk, questionnaire=questionnaire, label="丢失的一批", count=2
    )
    client.force_login(office_clerk)
    response = client.post(reverse("surveys:batch_void", args=[batch.pk]), follow=True)
    assert "已作废邀请批次“丢失的一批”" in response.content.decode()
    batch.refresh_from_db()
    assert batch.voided_at is not None
    assert invitation_state(questionnaire, codes[0]) == "unknown"
    assert AuditEvent.objects.filter(action="survey.invitations_voided").exists()
    # Twice: refused with a message, nothing else changes.
    response = client.post(reverse("surveys:batch_void", args=[batch.pk]), follow=True)
    assert "该批邀请已经作废" in response.content.decode()


def test_slips_cannot_be_reminded(client, questionnaire, office_clerk):
    batch, _ = distribution.issue_slips(
        actor=office_clerk, questionnaire=questionnaire, label="邀请条", count=2
    )
    client.force_login(office_clerk)
    response = client.post(reverse("surveys:batch_remind", args=[batch.pk]), follow=True)
    assert "纸质邀请条已当面发放，系统无法提醒" in response.content.decode()
    assert not AuditEvent.objects.filter(action="survey.invitations_reminded").exists()


# --- email ------------------------------------------------------------------------------------


def test_invalid_email_line_refuses_everything(client, questionnaire, office_clerk):
    client.force_login(office_clerk)
    typed = "a@example.com\nnot-an-address\n\nc@example.com\nd@@example.com"
    response = client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {"delivery": "email", "email-label": "服务对象", "email-emails": typed},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "第 2 行“not-an-address”" in page and "第 5 行" in page
    assert "a@example.com" in page  # what was typed stays
    assert not InvitationBatch.objects.exists()
    assert not Invitation.objects.exists()


def _issue_emails(client, questionnaire, office_clerk, emails, capture):
    client.force_login(office_clerk)
    with (
        mock.patch.object(send_invitation_email, "delay") as delay,
        capture(execute=True) as callbacks,
    ):
        response = client.post(
            reverse("surveys:batch_create", args=[questionnaire.pk]),
            {"delivery": "email", "email-label": "服务对象", "email-emails": emails},
        )
    assert response.status_code == 302
    assert callbacks  # enqueued after commit (R17)
    return [call.args[0] for call in delay.call_args_list]


def test_email_batch_enqueues_one_task_per_address_after_commit(
    client, questionnaire, office_clerk, django_capture_on_commit_callbacks
):
    ids = _issue_emails(
        client,
        questionnaire,
        office_clerk,
        "a@example.com\nB@example.com\na@example.com\n",
        django_capture_on_commit_callbacks,
    )
    invitations = Invitation.objects.order_by("pk")
    assert sorted(ids) == [i.pk for i in invitations]
    assert sorted(invitations.values_list("email", flat=True)) == [
        "a@example.com",
        "b@example.com",
    ]
    assert all(i.sent_at is None for i in invitations)


def test_mail_task_sends_once_with_a_working_code(
    client, questionnaire, office_clerk, mailoutbox, django_capture_on_commit_callbacks
):
    [pk] = _issue_emails(
        client, questionnaire, office_clerk, "wang@example.com", django_capture_on_commit_callbacks
    )
    send_invitation_email(pk)
    send_invitation_email(pk)  # redelivered
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["wang@example.com"]
    assert "人大代表满意度测评问卷" in message.subject
    [code] = LINK_RE.findall(message.body)
    assert invitation_state(questionnaire, code) == "ok"
    assert code not in database_text()
    assert Invitation.objects.get(pk=pk).sent_at is not None


def test_mail_task_gives_the_claim_back_when_sending_fails(questionnaire, office_clerk):
    batch = distribution.issue_emails(
        actor=office_clerk, questionnaire=questionnaire, label="x", emails=["a@example.com"]
    )
    pk = batch.invitations.get().pk
    with (
        mock.patch("surveys.mail_tasks.send_mail", side_effect=OSError("smtp down")),
        pytest.raises(OSError),
    ):
        send_invitation_email.run(pk)
    assert Invitation.objects.get(pk=pk).sent_at is None


def test_reminder_rotates_the_code_and_skips_used_invitations(
    client, questionnaire, office_clerk, mailoutbox, django_capture_on_commit_callbacks
):
    ids = _issue_emails(
        client,
        questionnaire,
        office_clerk,
        "a@example.com\nb@example.com",
        django_capture_on_commit_callbacks,
    )
    for pk in ids:
        send_invitation_email(pk)
    codes = {m.to[0]: LINK_RE.findall(m.body)[0] for m in mailoutbox}
    submit_with_code(questionnaire, codes["a@example.com"], [])  # a has answered
    mailoutbox.clear()
    batch = InvitationBatch.objects.get()
    client.force_login(office_clerk)
    page = client.get(reverse("surveys:distribution", args=[questionnaire.pk])).content.decode()
    assert "提醒（1 人）" in page and "尚未填写的 <strong>1</strong> 人" in page
    with (
        mock.patch.object(send_invitation_reminder, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("surveys:batch_remind", args=[batch.pk]), follow=True)
    assert "尚未填写的 1 人发送提醒" in response.content.decode()
    calls = [call.args for call in delay.call_args_list]
    b = Invitation.objects.get(email="b@example.com")
    assert [c[0] for c in calls] == [b.pk]
    send_invitation_reminder(*calls[0])
    send_invitation_reminder(*calls[0])  # redelivered: nothing more
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["b@example.com"]
    assert "已经失效" in message.body
    new_code = LINK_RE.findall(message.body)[0]
    assert invitation_state(questionnaire, codes["b@example.com"]) == "unknown"
    assert invitation_state(questionnaire, new_code) == "ok"
    assert Invitation.objects.get(pk=b.pk).reminded_at is not None
    # The used invitation is never revived, even if its task is run by hand.
    a = Invitation.objects.get(email="a@example.com")
    send_invitation_reminder(a.pk, calls[0][1])
    assert len(mailoutbox) == 1
    assert invitation_state(questionnaire, codes["a@example.com"]) == "used"
    assert AuditEvent.objects.filter(action="survey.invitations_reminded").count() == 1


# --- deputies' accounts --------------------------------------------------------------------------


def test_account_invitations_notify_each_deputy(client, questionnaire, office_clerk, deputy):
    other = UserFactory(username="deputy2", full_name="韩梅", roles=[Role.DEPUTY])
    UserFactory(username="gone", roles=[Role.DEPUTY], is_active=False)
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {"delivery": "accounts", "accounts-label": "全体代表", "accounts-scope": "all"},
        follow=True,
    )
    assert "已向 2 位代表发出问卷邀请" in response.content.decode()
    invited = set(Invitation.objects.values_list("user_id", flat=True))
    assert invited == {deputy.pk, other.pk}
    notes = Notification.objects.filter(recipient=deputy)
    assert notes.count() == 1 and notes.get().url == reverse("surveys:deputy_home")
    # Reminders go to the account invitations not yet used.
    Invitation.objects.filter(user=other).update(used=True)
    batch = InvitationBatch.objects.get()
    client.post(reverse("surveys:batch_remind", args=[batch.pk]))
    assert Notification.objects.filter(recipient=deputy).count() == 2
    assert Notification.objects.filter(recipient=other).count() == 1
    assert Invitation.objects.get(user=deputy).reminded_at is not None


def test_account_invitations_for_selected_deputies(client, questionnaire, office_clerk, deputy):
    UserFactory(username="deputy2", roles=[Role.DEPUTY])
    client.force_login(office_clerk)
    response = client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {"delivery": "accounts", "accounts-label": "部分代表", "accounts-scope": "selected"},
    )
    assert "请至少选择一位代表" in response.content.decode()
    assert not InvitationBatch.objects.exists()
    client.post(
        reverse("surveys:batch_create", args=[questionnaire.pk]),
        {
            "delivery": "accounts",
            "accounts-label": "部分代表",
            "accounts-scope": "selected",
            "accounts-users": [deputy.pk],
        },
    )
    assert list(Invitation.objects.values_list("user_id", flat=True)) == [deputy.pk]


# --- the open link -----------------------------------------------------------------------------


def test_open_link_toggle_is_audited_and_page_shows_url(
    client, questionnaire, office_clerk, tmp_path
):
    client.force_login(office_clerk)
    url = reverse("surveys:open_link", args=[questionnaire.pk])
    response = client.post(url, {"enabled": "1"}, follow=True)
    questionnaire.refresh_from_db()
    assert questionnaire.open_link is True
    page = response.content.decode()
    assert "公开链接已开启" in page
    assert questionnaire.public_token in page
    assert 'src="data:image/svg+xml' in page
    client.post(url, {"enabled": "0"})
    questionnaire.refresh_from_db()
    assert questionnaire.open_link is False
    assert AuditEvent.objects.filter(action="survey.open_link_changed").count() == 2
    poster = client.get(reverse("surveys:open_link_poster", args=[questionnaire.pk]))
    assert poster["Content-Type"] == "application/pdf"
    text = pdf_text(poster.content, tmp_path)
    assert "请用手机扫描二维码填写问卷" in text
    assert questionnaire.public_token in text.replace("\n", "")


# --- R16: the PDF fetcher ----------------------------------------------------------------------


def test_pdf_fetcher_refuses_files_and_network(settings):
    from surveys.pdf import StaticOnlyFetcher

    fetcher = StaticOnlyFetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:6379/", "https://example.com/x.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    with pytest.raises(ValueError):
        fetcher.fetch(settings.PINGYI_SITE_URL.rstrip("/") + "/static/../config/settings/base.py")
    ok = fetcher.fetch(settings.PINGYI_SITE_URL.rstrip("/") + "/static/css/app.css")
    assert ok.read()
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


def test_pdf_render_leaves_out_foreign_resources(tmp_path):
    import socket

    from surveys.pdf import StaticOnlyFetcher

    html = (
        '<p>正文</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:6379/x">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
    )
    from weasyprint import HTML

    with mock.patch.object(socket.socket, "connect", side_effect=AssertionError("socket")):
        content = HTML(string=html, url_fetcher=StaticOnlyFetcher()).write_pdf()
    text = pdf_text(content, tmp_path)
    assert "正文" in text and "root:" not in text


def test_paper_pdf_has_every_question(client, questionnaire, office_clerk, tmp_path):
    client.force_login(office_clerk)
    response = client.get(reverse("surveys:paper_pdf", args=[questionnaire.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "请对以下评议对象逐项评价" in text and "意见和建议" in text
    assert "基本满意" in text and "不满意" in text
    subject = questionnaire.questions.get(kind="matrix").subjects.first()
    assert subject.display_name in text.replace(" ", "")


# --- a reminder racing the respondent (PostgreSQL) --------------------------------------------


def _race(consume, rounds=8):
    """Race one consumption of a code against three rotations of it, `rounds` times; return
    the (consumed, any rotation made a code, used afterwards) triples."""
    from surveys.invitations import issue_batch, rotate_code
    from tests.factories import ReviewFactory
    from tests.reviews.test_secret_ballot import run_at_once

    office = UserFactory(username="clerk2", roles=[Role.OFFICE])
    review = ReviewFactory(created_by=office)
    questionnaire = matrix_questionnaire(review, [SubjectFactory(review=review)])
    results = []
    for n in range(rounds):
        batch, [(_, code)] = issue_batch(
            actor=office,
            questionnaire=questionnaire,
            label="x",
            delivery="email",
            emails=[f"r{n}@example.com"],
        )
        pk = Invitation.objects.get(batch=batch).pk
        consumed: list[bool] = []
        rotated: list[str | None] = []

        def take(code=code, consumed=consumed):
            consumed.append(consume(questionnaire, code))

        def rotate(pk=pk, rotated=rotated):
            rotated.append(rotate_code(pk))

        _, errors = run_at_once([take, rotate, rotate, rotate])
        assert not errors
        results.append((consumed[0], any(rotated), Invitation.objects.get(pk=pk).used))
    return results


@pytest.mark.django_db(transaction=True)
def test_rotation_never_follows_a_consumed_code(requires_postgres):
    """Either the respondent got in first (and no code is made after), or a new code
    replaced the old one first (and the old one is refused): never both."""
    from surveys.invitations import live_invitations

    def consume(questionnaire, code):
        return bool(live_invitations().filter(token_hash=hash_code(code)).update(used=True))

    for consumed, rotated, used in _race(consume):
        assert consumed != rotated
        assert used == consumed


@pytest.mark.django_db(transaction=True)
def test_rotation_racing_submit_with_code(requires_postgres):
    def consume(questionnaire, code):
        try:
            submit_with_code(questionnaire, code, [])
        except Exception:
            return False
        return True

    for consumed, rotated, _ in _race(consume):
        assert consumed != rotated
