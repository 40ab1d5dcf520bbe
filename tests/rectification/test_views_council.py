"""The chairpersons' council: its list of opinions, approval and return with their refusals,
and what it may not do (R10, R23)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rectification import opinions
from rectification.models import OpinionStatus
from tests.rectification.test_views_office import page
from tests.rectification.world import build_opinion_world


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


def submitted(world, office):
    opinion = opinions.open_opinion(actor=office, subject=world.subjects[0])
    return opinions.submit(actor=office, opinion=opinion)


@pytest.mark.django_db
def test_council_list_and_home_count(client, world, office_clerk, chair):
    draft = opinions.open_opinion(actor=office_clerk, subject=world.subjects[1])
    opinion = submitted(world, office_clerk)
    client.force_login(chair)
    text = page(client.get(reverse("rectification:council_opinions")))
    assert "待主任会议审议" in text and "王堃喆" in text
    assert reverse("rectification:opinion", args=[opinion.pk]) in text
    assert reverse("rectification:opinion", args=[draft.pk]) not in text  # drafts stay home
    home = page(client.get(reverse("reviews:council_home")))
    assert "待审议的评议意见" in home and reverse("rectification:council_opinions") in home
    assert "bi-file-earmark-check" in home  # the council's nav item 评议意见


@pytest.mark.django_db
def test_only_the_council_opens_its_list(client, office_clerk, official_a, committee_member):
    url = reverse("rectification:council_opinions")
    assert client.get(url)["Location"].startswith(reverse("login"))
    for user in (office_clerk, official_a, committee_member):
        client.force_login(user)
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_council_reads_a_submitted_opinion_but_not_a_draft(client, world, office_clerk, chair):
    draft = opinions.open_opinion(actor=office_clerk, subject=world.subjects[1])
    opinion = submitted(world, office_clerk)
    client.force_login(chair)
    assert client.get(reverse("rectification:opinion", args=[draft.pk])).status_code == 404
    text = page(client.get(reverse("rectification:opinion", args=[opinion.pk])))
    assert "主任会议审议" in text and "批准</button>" in text and "退回修改</button>" in text
    assert "编辑</a>" not in text and "提请主任会议审议</button>" not in text
    assert reverse("rectification:opinion_edit", args=[opinion.pk]) not in text


@pytest.mark.django_db
def test_approve_needs_a_session_and_keeps_the_typing(client, world, office_clerk, chair):
    opinion = submitted(world, office_clerk)
    client.force_login(chair)
    url = reverse("rectification:opinion_approve", args=[opinion.pk])
    future = (timezone.localdate() + timezone.timedelta(days=2)).isoformat()
    response = client.post(url, {"session": "第三十二次主任会议", "on": future})
    assert response.status_code == 200
    assert "审议日期不能晚于今天。" in page(response) and "第三十二次主任会议" in page(response)
    response = client.post(url, {"session": "", "on": timezone.localdate().isoformat()})
    assert "请填写审议的主任会议" in page(response)
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.SUBMITTED
    response = client.post(
        url, {"session": "第三十二次主任会议", "on": timezone.localdate().isoformat()}
    )
    assert response["Location"] == reverse("rectification:opinion", args=[opinion.pk])
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.APPROVED
    assert opinion.council_session == "第三十二次主任会议" and opinion.decided_by == chair
    # The council still may not issue.
    assert client.post(reverse("rectification:opinion_issue", args=[opinion.pk])).status_code == 403


@pytest.mark.django_db
def test_return_needs_a_comment_which_the_office_then_reads(client, world, office_clerk, chair):
    opinion = submitted(world, office_clerk)
    client.force_login(chair)
    url = reverse("rectification:opinion_return", args=[opinion.pk])
    response = client.post(url, {"comment": "   "})
    assert response.status_code == 200 and "退回时请写明修改意见。" in page(response)
    response = client.post(url, {"comment": "第二条表述过于笼统，请具体化。"})
    assert response["Location"] == reverse("rectification:council_opinions")
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.RETURNED
    client.force_login(office_clerk)
    text = page(client.get(reverse("rectification:opinion", args=[opinion.pk])))
    assert "第二条表述过于笼统，请具体化。" in text and "编辑</a>" in text


@pytest.mark.django_db
def test_office_cannot_approve_or_return(client, world, office_clerk):
    opinion = submitted(world, office_clerk)
    client.force_login(office_clerk)
    for name in ("opinion_approve", "opinion_return"):
        response = client.post(
            reverse(f"rectification:{name}", args=[opinion.pk]),
            {
                "session": "第三十二次主任会议",
                "on": timezone.localdate().isoformat(),
                "comment": "x",
            },
        )
        assert response.status_code == 403
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.SUBMITTED


@pytest.mark.django_db
def test_a_decided_opinion_cannot_be_decided_again(client, world, office_clerk, chair):
    opinion = submitted(world, office_clerk)
    opinions.return_opinion(actor=chair, opinion=opinion, comment="请修改")
    client.force_login(chair)
    response = client.post(
        reverse("rectification:opinion_approve", args=[opinion.pk]),
        {"session": "第三十三次主任会议", "on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200 and "不在待审议状态" in page(response)
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.RETURNED
