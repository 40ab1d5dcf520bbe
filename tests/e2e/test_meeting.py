"""Phase 3 (评议会议) as the hall sees it: the chair opens the 民主测评 on the control page, three
members vote on 390 px phones while the projector's turnout rises, a second vote of the same
member is refused, the chair closes and publishes and the projector shows the charts. Every
step goes through the real pages. Screenshots go to test-artifacts/e2e/."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from playwright.sync_api import expect

from reviews import meetings
from reviews.models import Ballot, Participation, PollState, SealedBallot, Subject
from tests.e2e.conftest import DESKTOP, PHONE, PageWatch
from tests.factories import PASSWORD
from tests.reviews.test_secret_ballot import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
LIVE = 6_000  # ms: the projector polls every second, the members' status every two
POLLED = ("/screen/live/", "/attend/status/")
# Realistic names so the screenshots show real line lengths.
SUBJECTS = [
    ("赵建华", "县自然资源局", "局长"),
    ("孙丽", "县市场监督管理局", "局长"),
    ("唐晓燕", "县人民法院", "审判委员会委员、民事审判第二庭庭长"),
]
# What each of the three members taps, per subject in agenda order.
VOTES = [
    ("satisfied", "satisfied", "dissatisfied"),
    ("satisfied", "basic", "dissatisfied"),
    ("satisfied", "dissatisfied", "satisfied"),
]
# 满意 3/3; 满意率 2/3 < 80 % and 不满意 1/3 ≤ 50 %; 不满意 2/3 > 50 %.
GRADES = ["满意", "基本满意", "不满意"]
LABELS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}


def log_in(page, base_url, login, password=PASSWORD):
    page.goto(base_url + "/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.locator(".breadcrumb").wait_for()  # landed on the role's home page


def mark(item, choice):
    """Tap a choice: the radio is visually hidden behind its big label."""
    item.get_by_text(LABELS[choice], exact=True).tap()
    expect(item.get_by_role("radio", name=LABELS[choice], exact=True)).to_be_checked()


def fits_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def sqlite_lock_noise(caplog, failed_urls: list[str]) -> list[str]:
    """The polled URLs among `failed_urls` that failed only because pytest-django's live
    server shares one in-memory SQLite connection between its request threads, which
    answers "database table is locked" instead of waiting. Never on PostgreSQL (CI)."""
    if connection.vendor != "sqlite":
        return []
    locked = {
        record.request.path
        for record in caplog.records
        if record.name == "django.request"
        and record.exc_info
        and isinstance(record.exc_info[1], OperationalError)
        and "locked" in str(record.exc_info[1])
    }
    return [
        url
        for url in failed_urls
        if urlsplit(url).path in locked and urlsplit(url).path.endswith(POLLED)
    ]


@pytest.fixture
def hall(office_clerk, chair):
    s = build(office_clerk, present=6, open_poll=False)
    for subject, (name, unit, post) in zip(s.subjects, SUBJECTS, strict=True):
        subject.display_name, subject.unit_name, subject.post = name, unit, post
        subject.save(update_fields=["display_name", "unit_name", "post"])
    return s


def test_members_vote_on_phones_while_the_projector_shows_turnout_then_results(
    open_page, live_server, hall, artifacts, caplog
):
    base = live_server.url
    meeting, poll = hall.meeting, hall.poll
    watches, failed = [], []  # failed: URLs answered with 5xx

    def shot(page, name, full_page=True):
        page.screenshot(path=str(artifacts / f"meeting-{name}.png"), full_page=full_page)

    def watched(page, watch):
        watches.append(watch)
        page.on("response", lambda r: r.status >= 500 and failed.append(r.url))
        return page

    def opened(profile):
        return watched(*open_page(profile))

    # --- The projector, before voting: the office opens it on the hall's 1920×1080 screen --
    screen = opened(PROJECTOR)
    log_in(screen, base, "clerk")
    screen.goto(base + reverse("reviews:screen", args=[meeting.pk]))
    expect(screen.locator(".screen-title")).to_have_text("第二十三次会议")
    expect(screen.locator(".screen-turnout")).to_have_count(0)  # no poll is open yet

    # --- The chair: the current subject, then 开始投票 ------------------------------------------
    chair = opened(DESKTOP)
    log_in(chair, base, "chair")
    chair.goto(base + reverse("reviews:control", args=[meeting.pk]))
    chair.locator("h1", has_text="会议控制").wait_for()
    expect(chair.locator("#quorum .display-5")).to_have_text("6")
    expect(chair.locator("#quorum")).to_contain_text("/ 9 名组成人员到会")
    speaking = chair.locator("section[aria-labelledby=current-heading]")
    speaking.get_by_role("button", name="赵建华").click()
    expect(chair.locator("button[aria-current=true]")).to_contain_text("赵建华")
    expect(screen.locator(".screen-subject")).to_have_text("赵建华", timeout=LIVE)
    chair.get_by_role("button", name="开始投票").click()
    chair.locator(".alert-success", has_text="民主测评已开始").wait_for()
    expect(chair.locator(".turnout")).to_have_attribute("data-voted", "0")

    poll.refresh_from_db()
    assert poll.state == PollState.OPEN and poll.entitled_count == 6
    expect(screen.locator(".screen-voted")).to_have_text("0", timeout=LIVE)
    expect(screen.locator(".screen-entitled")).to_have_text("/ 6")
    expect(screen.locator(".screen-turnout")).to_contain_text("民主测评进行中")

    # --- Three members vote on their phones ------------------------------------------------
    phones = []
    for number, (member, choices) in enumerate(zip(hall.members[:3], VOTES, strict=True), 1):
        phone = opened(PHONE)
        phones.append(phone)
        log_in(phone, base, member.username)
        phone.locator("h1", has_text="会议与测评").wait_for()
        card = phone.locator("a.review-card", has_text="第二十三次会议")
        expect(card).to_contain_text("进入会议投票")
        card.tap()
        phone.locator("h1", has_text="第二十三次会议").wait_for()
        phone.get_by_role("link", name="开始投票").tap()
        phone.get_by_text("全部选择后核对提交").wait_for()
        items = phone.locator(".ballot-item")
        expect(items).to_have_count(len(SUBJECTS))
        assert fits_phone(phone)

        if number == 1:
            # A ballot with a subject left out is not taken: the page says which one.
            mark(items.nth(0), "satisfied")
            phone.get_by_role("button", name="下一步：核对选择").tap()
            expect(phone.locator("#ballot-missing")).to_contain_text("还有 2 位评议对象没有选择")
            expect(phone.get_by_text("请为孙丽作出选择")).to_be_visible()
            expect(phone.locator(".ballot-item.is-missing")).to_have_count(2)
            expect(phone.get_by_role("radio", checked=True)).to_have_count(1)  # kept
            shot(phone, "phone-ballot-incomplete")
            # The hint goes as soon as the missing choice is made.
            mark(items.nth(1), "satisfied")
            expect(phone.get_by_text("请为孙丽作出选择")).to_be_hidden()
            expect(phone.locator(".ballot-item.is-missing")).to_have_count(1)

        for item, choice in zip(items.all(), choices, strict=True):
            mark(item, choice)
        if number == 1:
            shot(phone, "phone-ballot-marked")
            shot(phone, "phone-ballot-marked-viewport", full_page=False)
            # Scrolled to the end, the sticky submit bar leaves the last subject uncovered.
            phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            last = items.last.bounding_box()
            bar = phone.get_by_role("button", name="下一步：核对选择").bounding_box()
            assert last["y"] + last["height"] <= bar["y"]
            shot(phone, "phone-ballot-marked-bottom", full_page=False)
        phone.get_by_role("button", name="下一步：核对选择").tap()

        phone.get_by_role("heading", name="请核对您的选择").wait_for()
        summary = phone.locator(".ballot-summary li")
        expect(summary).to_have_count(len(SUBJECTS))
        for row, (name, _, _), choice in zip(summary.all(), SUBJECTS, choices, strict=True):
            expect(row).to_contain_text(name)
            expect(row.locator(".choice-tag")).to_have_text(LABELS[choice])
        assert fits_phone(phone)
        if number == 1:
            shot(phone, "phone-summary")
        if number == 3:
            # The same member has the summary open in a second tab too.
            twin = phone.context.new_page()
            watched(twin, PageWatch(twin, base))
            twin.goto(base + reverse("reviews:ballot", args=[poll.pk]))
            for item, choice in zip(twin.locator(".ballot-item").all(), choices, strict=True):
                mark(item, choice)
            twin.get_by_role("button", name="下一步：核对选择").tap()
            twin.get_by_role("heading", name="请核对您的选择").wait_for()

        phone.get_by_role("button", name="确认提交").tap()
        phone.get_by_role("heading", name="投票成功").wait_for()
        assert phone.url.endswith(reverse("reviews:ballot_done", args=[poll.pk]))
        assert fits_phone(phone)
        if number == 1:
            shot(phone, "phone-success")

        # The projector and the chair's counter follow within a second or two.
        expect(screen.locator(".screen-voted")).to_have_text(str(number), timeout=LIVE)
        expect(chair.locator(".turnout")).to_have_attribute("data-voted", str(number), timeout=LIVE)
        if number == 2:
            shot(screen, "projector-voting", full_page=False)
            shot(chair, "control-voting")

    # --- A second vote of the same member is refused ---------------------------------------
    # The second tab submits its summary after the first tab's ballot went in.
    twin.get_by_role("button", name="确认提交").tap()
    twin.get_by_role("heading", name="您已投票").wait_for()
    assert fits_phone(twin)
    shot(twin, "phone-second-submit-refused")
    # The first member presses Back: the summary was shown in the page, so Back returns to
    # the ballot page, which now says so (no "resubmit the form?" error page).
    first = phones[0]
    first.go_back()
    first.get_by_role("heading", name="您已投票").wait_for()
    first.goto(base + reverse("reviews:ballot", args=[poll.pk]))
    first.get_by_role("heading", name="您已投票").wait_for()
    expect(first.get_by_role("button", name="下一步：核对选择")).to_have_count(0)
    # The member's meeting page says so too (its status block refreshes every 2 s).
    first.goto(base + reverse("reviews:attend", args=[meeting.pk]))
    expect(first.locator(".attend-status")).to_contain_text("您已投票", timeout=LIVE)
    expect(first.get_by_role("link", name="开始投票")).to_have_count(0)
    assert fits_phone(first)
    shot(first, "phone-attend-voted")

    assert Participation.objects.filter(poll=poll).count() == 3
    assert Ballot.objects.filter(poll=poll).count() == 3
    assert meetings.turnout(poll) == meetings.Turnout(voted=3, entitled=6)
    expect(screen.locator(".screen-voted")).to_have_text("3")
    assert screen.locator(".vote-chart").count() == 0  # no result while voting is open (R5)

    # --- The chair closes and publishes ----------------------------------------------------
    chair.get_by_role("button", name="结束投票并封存选票").click()
    chair.get_by_role("heading", name="确认结束投票？").wait_for()
    chair.get_by_role("button", name="确认结束").click()
    chair.locator(".alert-success", has_text="民主测评已结束，选票已封存").wait_for()
    expect(screen.locator(".screen-turnout")).to_contain_text("投票已结束", timeout=LIVE)
    assert Ballot.objects.filter(poll=poll).count() == 0
    assert SealedBallot.objects.filter(poll=poll).count() == 3
    # Too late now for a member who had not voted.
    late = phones[1]
    late.goto(base + reverse("reviews:ballot", args=[poll.pk]))
    late.get_by_role("heading", name="投票已结束").wait_for()

    chair.get_by_role("button", name="公布结果（大屏显示）").click()
    chair.locator(".alert-success", has_text="测评结果已公布").wait_for()
    charts = screen.locator(".vote-chart")
    expect(charts).to_have_count(len(SUBJECTS), timeout=LIVE)
    expect(screen.locator(".screen-section")).to_have_text("民主测评结果")
    # 应参加 6 人，投票 3 人 (the wording may change; the figures may not)
    expect(screen.locator(".screen-note")).to_have_text(re.compile(r"应参加\D*6 人\D*3 [人张]"))
    for chart, (name, _, _), grade in zip(charts.all(), SUBJECTS, GRADES, strict=True):
        expect(chart.locator(".vote-chart-name")).to_contain_text(name)
        expect(chart.locator(".grade")).to_have_text(grade)
    expect(charts.nth(0).locator(".vote-legend")).to_contain_text("满意率 100.0%")
    expect(charts.nth(1).locator(".vote-legend")).to_contain_text("满意率 66.7%")
    shot(screen, "projector-results", full_page=False)
    shot(chair, "control-published")
    poll.refresh_from_db()
    assert poll.state == PollState.PUBLISHED
    grades = Subject.objects.filter(review=hall.review).order_by("order")
    assert [s.assessment_grade for s in grades] == [
        "satisfied",
        "basic",
        "dissatisfied",
    ]

    noise = sqlite_lock_noise(caplog, failed)
    assert [url for url in failed if url not in noise] == []
    for watch in watches:
        assert watch.foreign == []
        errors = watch.errors
        if noise:  # the browser's "status of 500" line and htmx's error for those polls
            errors = [e for e in errors if "status of 500" not in e and not e.endswith(POLLED)]
        assert errors == []
