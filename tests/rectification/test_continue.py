"""继续整改: the council's decision after a vote of 不满意, its round, deadline and notice."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from rectification import cases, deadlines
from rectification.models import (
    DocumentKind,
    DocumentStatus,
    ItemProgress,
    ObligationKind,
    RectificationItem,
    RectificationReport,
    ReviewStatus,
    RoundOutcome,
)
from rectification.wording import date_cn
from reviews.models import Choice
from subjects.models import AuditEvent, Notification
from tests.rectification.test_vote import build_vote_world, run_vote

S, D = Choice.SATISFIED, Choice.DISSATISFIED


def texts(body):
    return "\n".join(block.get("text", "") for block in body)


@pytest.fixture
def voted(office_clerk):
    """Subject 1 voted 不满意 (6 of 9 members), subject 2 满意; subject 1's case has 2 items."""
    world = build_vote_world(office_clerk)
    case = world.cases[0]
    for order in (1, 2):
        RectificationItem.objects.create(case=case, order=order, problem=f"问题{order}")
    run_vote(office_clerk, world, [(D, S)] * 6)
    assert case.rounds.get(number=1).outcome == RoundOutcome.DISSATISFIED
    return world


def order(chair, case, **overrides):
    fields = {
        "council_session": "第三十五次主任会议",
        "council_date": timezone.localdate(),
        "requirements": "",
    }
    return cases.order_continue(actor=chair, case=case, **{**fields, **overrides})


# --- the service ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_order_continue_opens_round_two_with_report_deadline_and_notice(chair, voted):
    case = voted.cases[0]
    today = timezone.localdate()
    new = order(chair, case, requirements="重点整改执法程序问题。")
    assert new.number == 2 and new.council_session == "第三十五次主任会议"
    assert case.rounds.get(number=1).outcome == RoundOutcome.CONTINUED
    obligations = list(new.obligations.all())
    assert [o.kind for o in obligations] == [ObligationKind.REPORT]
    due = obligations[0].due_on
    assert due == deadlines.due_after(today, case.review.rules.report_due_months)
    report = RectificationReport.objects.get(round=new)
    assert report.status == ReviewStatus.DRAFT
    assert ItemProgress.objects.filter(report=report).count() == 2
    notice = new.notice
    assert notice.kind == DocumentKind.CONTINUE_NOTICE and notice.status == DocumentStatus.DRAFT
    assert notice.subject_id == case.subject_id
    body = texts(notice.body)
    assert f"请于{date_cn(due)}前" in body
    assert f"经第三十五次主任会议（{date_cn(today)}）研究" in body
    assert "不满意票 6 票，超过常委会全体组成人员 9 人的半数" in body
    assert "重点整改执法程序问题。" in body
    assert AuditEvent.objects.filter(action="round.continued").count() == 1
    # The office hears that a notice draft waits to be issued.
    assert Notification.objects.filter(title__contains="继续整改", recipient__username="clerk")


@pytest.mark.django_db
def test_order_continue_with_a_set_due_date(chair, voted):
    case = voted.cases[0]
    day = timezone.localdate() + timedelta(days=40)
    due = deadlines.next_workday(day, deadlines.load_calendar(day, day + timedelta(days=30)))
    new = order(chair, case, due_on=due)
    assert new.obligations.get().due_on == due
    assert date_cn(due) in texts(new.notice.body)


@pytest.mark.django_db
def test_second_order_on_the_same_round_is_refused(chair, voted):
    case = voted.cases[0]
    order(chair, case)
    with pytest.raises(ValidationError, match="只有整改满意度测评结果为不满意的"):
        order(chair, case)
    assert case.rounds.count() == 2


@pytest.mark.django_db
def test_a_satisfied_case_cannot_continue(chair, voted):
    with pytest.raises(ValidationError, match="已办结"):
        order(chair, voted.cases[1])


@pytest.mark.django_db
def test_the_loop_twice_reaches_round_three(office_clerk, chair, voted):
    case = voted.cases[0]
    order(chair, case)
    RectificationReport.objects.filter(round__case=case, round__number=2).update(
        status=ReviewStatus.ACCEPTED
    )
    assert [r.number for r in cases.rounds_ready_for_vote(voted.review)] == [2]
    run_vote(office_clerk, voted, [(D,)] * 5)
    second = case.rounds.get(number=2)
    assert (second.outcome, second.dissatisfied) == (RoundOutcome.DISSATISFIED, 5)
    third = order(chair, case, council_session="第三十八次主任会议")
    assert third.number == 3
    assert "不满意票 5 票" in texts(third.notice.body)
    assert "第三十八次主任会议" in texts(third.notice.body)
    assert [r.outcome for r in case.rounds.order_by("number")] == [
        RoundOutcome.CONTINUED,
        RoundOutcome.CONTINUED,
        RoundOutcome.PENDING,
    ]


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_council_cases_lists_dissatisfied_rounds_with_figures(
    client, chair, voted, django_assert_max_num_queries
):
    client.force_login(chair)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("rectification:council_cases"))
    text = page.content.decode()
    assert voted.subjects[0].display_name in text
    assert "组成人员不满意 <strong>6</strong> 票 / 全体组成人员 9 人" in text
    assert reverse("rectification:order_continue", args=[voted.cases[0].pk]) in text
    assert voted.subjects[1].display_name not in text


@pytest.mark.django_db
def test_council_home_shows_the_card(client, chair, voted):
    client.force_login(chair)
    text = client.get(reverse("reviews:council_home")).content.decode()
    assert "1 个整改事项待决定继续整改" in text
    order(chair, voted.cases[0])
    text = client.get(reverse("reviews:council_home")).content.decode()
    assert "待决定继续整改" not in text


@pytest.mark.django_db
def test_order_continue_page_and_office_sees_the_notice(client, chair, office_clerk, voted):
    case = voted.cases[0]
    url = reverse("rectification:order_continue", args=[case.pk])
    client.force_login(chair)
    page = client.get(url)
    assert page.status_code == 200
    assert "留空则为主任会议日期起 3 个月" in page.content.decode()
    today = timezone.localdate()
    response = client.post(
        url,
        {
            "council_session": "第三十五次主任会议",
            "council_date": today.isoformat(),
            "due_on": "",
            "requirements": "逐项销号。",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:council_cases")
    new = case.rounds.get(number=2)
    assert new.requirements == "逐项销号。"
    client.force_login(office_clerk)
    text = client.get(reverse("rectification:council_cases")).content.decode()
    assert reverse("rectification:document", args=[new.notice_id]) in text
    assert client.get(reverse("rectification:document", args=[new.notice_id])).status_code == 200
    # The decided round can no longer be ordered: the page says why.
    client.force_login(chair)
    assert "只有整改满意度测评结果为不满意" in client.get(url).content.decode()


@pytest.mark.django_db
def test_order_continue_errors_keep_input(client, chair, voted):
    case = voted.cases[0]
    url = reverse("rectification:order_continue", args=[case.pk])
    client.force_login(chair)
    future = timezone.localdate() + timedelta(days=5)
    page = client.post(
        url,
        {
            "council_session": "第三十五次主任会议",
            "council_date": future.isoformat(),
            "due_on": "",
            "requirements": "要求一",
        },
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "主任会议日期不能晚于今天" in text and "第三十五次主任会议" in text and "要求一" in text
    page = client.post(url, {"council_session": "", "council_date": "", "requirements": "要求二"})
    text = page.content.decode()
    assert "请填写作出决定的主任会议" in text and "要求二" in text
    assert case.rounds.count() == 1


@pytest.mark.django_db
def test_access_matrix(client, personas, voted):
    case = voted.cases[0]
    pages = {
        reverse("rectification:council_cases"): {"office": 200, "council": 200},
        reverse("rectification:order_continue", args=[case.pk]): {"council": 200},
    }
    for url, allowed in pages.items():
        for name, user in personas.items():
            client.force_login(user)
            assert client.get(url).status_code == allowed.get(name, 403), (url, name)
    client.force_login(personas["council"])
    missing = reverse("rectification:order_continue", args=[99999])
    assert client.get(missing).status_code == 404
    client.force_login(personas["official"])
    assert client.post(reverse("rectification:order_continue", args=[case.pk])).status_code == 403
    assert case.rounds.count() == 1


@pytest.mark.django_db
def test_round_outcome_badge(voted):
    template = Template("{% load vote_tags %}{% round_outcome round %}")
    first = voted.cases[0].rounds.get(number=1)
    assert "不满意" in template.render(Context({"round": first}))
    assert "text-bg-danger" in template.render(Context({"round": first}))
    assert template.render(Context({"round": None})) == ""
