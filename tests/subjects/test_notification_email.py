"""Notifications get an email beside them when configured; the send is safe to run twice."""

from unittest import mock

import pytest
from django.core import mail

from subjects.models import Notification
from subjects.notifications import notify
from subjects.tasks import send_notification_email


@pytest.mark.django_db
def test_no_email_without_a_mail_host(settings, official_a, django_capture_on_commit_callbacks):
    settings.EMAIL_HOST = ""
    official_a.email = "zhao@example.org"
    official_a.save(update_fields=["email"])
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipient=official_a, title="测试", body="正文")
    assert callbacks == []


@pytest.mark.django_db
def test_email_is_enqueued_after_commit_and_sent_once(
    settings, official_a, django_capture_on_commit_callbacks
):
    settings.EMAIL_HOST = "mail.intranet"
    official_a.email = "zhao@example.org"
    official_a.save(update_fields=["email"])
    with mock.patch.object(send_notification_email, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            note = notify(recipient=official_a, title="您已被确定为评议对象", url="/my/")
            delay.assert_not_called()  # nothing leaves before the transaction commits (R17)
        assert len(callbacks) == 1
        delay.assert_called_once_with(note.pk)
    send_notification_email(note.pk)
    send_notification_email(note.pk)  # a redelivered task sends nothing more
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "【评议】您已被确定为评议对象"
    assert "/my/" in mail.outbox[0].body
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


@pytest.mark.django_db
def test_failed_send_gives_the_claim_back(official_a):
    official_a.email = "zhao@example.org"
    official_a.save(update_fields=["email"])
    note = Notification.objects.create(recipient=official_a, title="t")
    with (
        mock.patch("django.core.mail.send_mail", side_effect=OSError("smtp down")),
        pytest.raises(OSError),
    ):
        send_notification_email.run(note.pk)
    assert Notification.objects.get(pk=note.pk).emailed_at is None
