"""Issue 7 (整改) along its main path, through the real pages:

1. the official signs for the 评议意见 (签收) on a 390 px phone, which opens the case, and
   fills the 整改方案 (四定 per item); a gap is refused with what was typed kept;
2. the office returns it with a comment, the official revises and resubmits, the office
   accepts it;
3. three months on (the deadline scan run as `manage.py scan_obligations --at …`), the
   reminders reach the official's notifications and the office's daily digest;
4. the official fills the 整改落实情况报告 with its PDF, the office accepts it;
5. the office starts the satisfaction vote at a new meeting; six members check in, five of
   them (of nine composition members) vote 不满意, one on the phone ballot page; the chair
   opens, closes and publishes on the control page;
6. the council orders 继续整改 (round 2); the ledger and its Excel export show round 2.

Screenshots go to test-artifacts/e2e/ (rectification-*.png)."""

import re
from datetime import datetime, time, timedelta
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from rectification import deadlines
from rectification.models import (
    ObligationKind,
    RectificationCase,
    ReviewStatus,
    RoundOutcome,
)
from reviews import meetings
from reviews.models import Choice, PollPurpose, PollState
from subjects.models import CompositionMember, Notification
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD
from tests.rectification.test_views_office import issued_document
from tests.rectification.world import build_opinion_world
from tests.reviews.test_secret_ballot import vote

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "王堃喆"
VOTE_SESSION = "第二十八次会议"
COUNCIL_SESSION = "第三十五次主任会议"
RETURN_COMMENT = "第1项整改措施过于笼统，请细化到具体执法环节并明确完成标准。"
FIXES = [  # 四定 of the two items (the opinion's two prefilled clauses)
    ("开展执法案卷评查，规范执法程序", "法制科科长", "执法程序规范率达到100%"),
    ("建立代表建议办理回访制度", "办公室主任", "代表建议回访率100%"),
]
REVISED = "逐月评查行政处罚案卷，重点规范调查取证、告知和送达环节"


def log_in(page, base_url, login, password=PASSWORD):
    page.goto(base_url + "/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.locator(".breadcrumb").wait_for()  # landed on the role's home page


def fits(page, profile) -> bool:
    """Nothing overflows the screen sideways."""
    return page.evaluate("document.documentElement.scrollWidth") <= profile["viewport"]["width"]


def screenshot(artifacts, page, name, full_page=True):
    page.screenshot(path=str(artifacts / f"rectification-{name}.png"), full_page=full_page)


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def report_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>整改落实情况报告</h1><p>各项问题已按整改方案逐项落实。</p>").write_pdf()


def scan_at(day, hour=9) -> None:
    """The hourly deadline scan, run as the operator would: `scan_obligations --at`."""
    moment = datetime.combine(day, time(hour, 0))
    out = StringIO()
    call_command("scan_obligations", at=moment.strftime("%Y-%m-%d %H:%M"), stdout=out)
    assert "到期事项" in out.getvalue()


def reminder_title(due_on, today) -> str:
    days = (due_on - today).days
    if days > 0:
        return f"整改报告还有 {days} 天到期"
    if days == 0:
        return "整改报告今天到期"
    return f"整改报告已逾期 {-days} 天"


@pytest.fixture
def world(office_clerk, chair, official_a):
    w = build_opinion_world(office_clerk, official_a)
    w.document = issued_document(w, office_clerk, chair)  # two clauses, issued, PDF stored
    # The vote on the rectification happens in the review's 整改 phase.
    w.review.phase = "rectify"
    w.review.save(update_fields=["phase"])
    return w


def test_rectification_from_receipt_to_second_round(
    open_page, live_server, world, office_clerk, chair, official_a, artifacts
):
    w = world
    base = live_server.url
    subject = w.subjects[0]
    document = w.document
    today = timezone.localdate()
    watches = []

    def opened(profile):
        page, watch = open_page(profile)
        watches.append(watch)
        return page

    # --- 1. The official signs for the opinion and writes the plan on a phone ---------------
    phone = opened(PHONE)
    log_in(phone, base, official_a.username)
    phone.goto(base + reverse("reviews:official_subject", args=[subject.pk]))
    phone.locator(".card", has_text="评议意见").first.get_by_role("link", name="查看并签收").tap()
    phone.wait_for_url(f"**{reverse('rectification:official_document', args=[document.pk])}")
    phone.get_by_role("button", name="签收").tap()
    phone.locator(".alert-success", has_text="已签收").wait_for()
    case = RectificationCase.objects.get(subject=subject)
    assert case.received_on == today
    items = list(case.items.order_by("order"))
    assert len(items) == 2

    phone.goto(base + reverse("reviews:official_subject", args=[subject.pk]))
    card = phone.locator(".card", has_text="整改工作")
    expect(card).to_contain_text("整改方案")
    card.get_by_role("link", name="进入整改").tap()
    phone.wait_for_url(f"**{reverse('rectification:official_case', args=[case.pk])}")
    clock = phone.locator("#clock-heading").locator("xpath=../..")
    expect(clock).to_contain_text(cn_date(today))
    plan_due = case.rounds.get(number=1).obligations.get(kind=ObligationKind.PLAN).due_on
    expect(clock).to_contain_text(f"{cn_date(plan_due)}前")
    expect(phone.locator("#items-heading")).to_contain_text("整改问题清单（2 项）")
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "01-official-case-phone")

    phone.get_by_role("link", name="填写整改方案").tap()
    phone.wait_for_url(f"**{reverse('rectification:official_case_plan', args=[case.pk])}")
    phone.get_by_label("总体安排").fill("成立整改工作领导小组，逐项落实，每月调度。")
    due_on = today + timedelta(days=60)
    for item, (measures, responsible, standard) in zip(items, FIXES, strict=True):
        section = phone.locator(f"#item-{item.pk}")
        expect(section).to_contain_text(item.problem)
        section.get_by_label("整改措施").fill(measures)
        section.get_by_label("责任人").fill(responsible)
        section.get_by_label("完成时限").fill(due_on.isoformat())
        if item.order == 1:
            section.get_by_label("完成标准").fill(standard)
    # The second item's standard is missing: refused, with everything typed kept (R23).
    phone.get_by_role("button", name="提交审核").tap()
    phone.locator(".alert, .invalid-feedback", has_text="第2项缺少完成标准").first.wait_for()
    second = phone.locator(f"#item-{items[1].pk}")
    expect(second.get_by_label("整改措施")).to_have_value(FIXES[1][0])
    expect(phone.get_by_label("总体安排")).to_have_value(re.compile("成立整改工作领导小组"))
    second.get_by_label("完成标准").fill(FIXES[1][2])
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "02-plan-form-phone")
    phone.get_by_role("button", name="提交审核").tap()
    phone.locator(".alert-success", has_text="整改方案已提交").wait_for()
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.SUBMITTED and case.plan.submissions == 1

    # --- 2. The office returns it; the official revises; the office accepts -----------------
    clerk = opened(DESKTOP)
    log_in(clerk, base, office_clerk.username)
    clerk.goto(base + reverse("rectification:case", args=[case.pk]))
    clerk.locator("h1", has_text=f"{NAME}的整改").wait_for()
    plan_card = clerk.locator("#items")
    expect(plan_card).to_contain_text(FIXES[0][0])
    expect(plan_card).to_contain_text("待审核")
    plan_card.get_by_role("button", name="退回修改").click()  # empty: refused
    clerk.get_by_text("退回时请写明修改意见。").wait_for()
    clerk.locator("#items").get_by_label("退回意见").fill(RETURN_COMMENT)
    clerk.locator("#items").get_by_role("button", name="退回修改").click()
    clerk.locator(".alert-success", has_text="已退回整改方案").wait_for()
    expect(clerk.locator("#items")).to_contain_text(RETURN_COMMENT)

    phone.goto(base + reverse("rectification:official_case", args=[case.pk]))
    returned = phone.locator("#plan-returned")
    expect(returned).to_contain_text(RETURN_COMMENT)
    returned.get_by_role("link", name="修改整改方案").tap()
    first = phone.locator(f"#item-{items[0].pk}")
    expect(first.get_by_label("整改措施")).to_have_value(FIXES[0][0])
    first.get_by_label("整改措施").fill(REVISED)
    phone.get_by_role("button", name="提交审核").tap()
    phone.locator(".alert-success", has_text="整改方案已提交").wait_for()
    expect(phone.locator("#plan-returned")).to_have_count(0)

    clerk.reload()
    expect(clerk.locator("#items")).to_contain_text(REVISED)
    expect(clerk.locator("#items")).to_contain_text("第 2 次提交")
    clerk.get_by_role("button", name="通过整改方案").click()
    clerk.locator(".alert-success", has_text="已通过整改方案").wait_for()
    case.plan.refresh_from_db()
    assert case.plan.status == ReviewStatus.ACCEPTED and case.plan.submissions == 2

    # --- 3. Three months on: the scan reminds the official and digests for the office -------
    report_due = case.rounds.get(number=1).obligations.get(kind=ObligationKind.REPORT).due_on
    later = deadlines.add_months(today, 3)
    first_title = reminder_title(report_due, later)
    scan_at(later)
    overdue_day = report_due + timedelta(days=7)
    scan_at(overdue_day)
    scan_at(overdue_day)  # run again by hand: nothing is sent twice
    titles = list(
        Notification.objects.filter(recipient=official_a, title__startswith="整改报告")
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert titles == [first_title, "整改报告已逾期 7 天"]
    phone.goto(base + reverse("notifications"))
    notes = phone.locator(".list-group-item")
    expect(notes.filter(has_text=first_title)).to_have_count(1)
    overdue_note = notes.filter(has_text="整改报告已逾期 7 天")
    expect(overdue_note).to_have_count(1)
    expect(overdue_note).to_contain_text(f"截止日期{cn_date(report_due)}")
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "03-reminders-phone")
    clerk.goto(base + reverse("notifications"))
    digest = clerk.locator(".list-group-item", has_text="逾期事项汇总").filter(
        has_text=f"{NAME}：整改报告 已逾期 7 天"
    )
    expect(digest).to_have_count(1)
    # One digest a day (the party report may be overdue too); the case is in one of them.
    digests = Notification.objects.filter(recipient=office_clerk, title__startswith="逾期事项汇总")
    assert digests.count() <= 2
    assert [n.url for n in digests if f"{NAME}：整改报告" in n.body] == [
        reverse("rectification:ledger", args=[w.review.pk])
    ]

    # --- 4. The official reports; the office accepts ----------------------------------------
    phone.goto(base + reverse("rectification:official_case", args=[case.pk]))
    phone.get_by_role("link", name="填写整改报告").tap()
    phone.wait_for_url(f"**{reverse('rectification:official_case_report', args=[case.pk])}")
    phone.get_by_label("总体情况").fill("整改方案所列问题已全部完成整改。")
    phone.get_by_label("整改落实情况报告正式文本").set_input_files(
        {"name": "整改落实情况报告.pdf", "mimeType": "application/pdf", "buffer": report_pdf()}
    )
    for item in items:
        section = phone.locator(f"#item-{item.pk}")
        section.get_by_text("已完成", exact=True).tap()
        section.get_by_label("情况说明").fill(f"第{item.order}项已按方案整改到位。")
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "04-report-form-phone")
    phone.get_by_role("button", name="提交审核").tap()
    phone.locator(".alert-success", has_text="整改落实情况报告已提交").wait_for()
    report = case.rounds.get(number=1).report
    assert report.status == ReviewStatus.SUBMITTED
    assert report.file_name.endswith(".pdf") and report.file.read().startswith(b"%PDF-")

    clerk.goto(base + reverse("rectification:case", args=[case.pk]))
    report_card = clerk.locator("#report")
    expect(report_card).to_contain_text("第1项已按方案整改到位。")
    report_link = report_card.get_by_role("link", name=re.compile(r"\.pdf$"))
    fetched = clerk.request.get(base + report_link.get_attribute("href"))
    assert fetched.ok and fetched.body().startswith(b"%PDF-")
    clerk.get_by_role("button", name="通过整改报告").click()
    clerk.locator(".alert-success", has_text="已通过整改报告").wait_for()
    expect(clerk.locator("#report")).to_contain_text("已通过")
    assert fits(clerk, DESKTOP)
    screenshot(artifacts, clerk, "05-office-case")

    # --- 5. The satisfaction vote at a new meeting -----------------------------------------
    meeting = meetings.create_meeting(
        actor=office_clerk,
        review=w.review,
        session_name=VOTE_SESSION,
        starts_at=timezone.now(),
        place="常委会会议室",
    )
    clerk.goto(base + reverse("rectification:vote_start", args=[w.review.pk]))
    ready = clerk.locator("#ready-heading").locator("xpath=../..")
    expect(ready).to_contain_text(NAME)
    clerk.get_by_label("测评会议").select_option(str(meeting.pk))
    clerk.get_by_role("button", name="发起测评并进入会议控制").click()
    clerk.wait_for_url(f"**{reverse('reviews:control', args=[meeting.pk])}")
    clerk.locator(".alert-success", has_text="共 1 个评议对象").wait_for()
    poll = meeting.polls.get()
    assert poll.purpose == PollPurpose.RECTIFICATION
    assert [i.subject_id for i in poll.items.all()] == [subject.pk]

    members = [
        m.user
        for m in CompositionMember.objects.filter(term=w.review.term)
        .select_related("user")
        .order_by("order")
    ]
    assert len(members) == 9
    for member in members[:6]:
        meetings.check_in(actor=office_clerk, meeting=meeting, user=member)

    council = opened(DESKTOP)
    log_in(council, base, chair.username)
    council.goto(base + reverse("reviews:control", args=[meeting.pk]))
    expect(council.locator("#poll-heading")).to_have_text("整改情况满意度测评")
    expect(council.locator("#quorum .display-5")).to_have_text("6")
    council.get_by_role("button", name="开始投票").click()
    council.locator(".alert-success", has_text="已开始").wait_for()
    # While the test writes ballots the chair's page must not poll the (SQLite) database.
    council.goto(base + reverse("rectification:council_cases"))
    poll.refresh_from_db()
    assert poll.state == PollState.OPEN and poll.entitled_count == 6

    D, S = Choice.DISSATISFIED, Choice.SATISFIED
    for member in members[:4]:
        vote(poll, member, D)
    vote(poll, members[4], S)

    ballot = opened(PHONE)
    log_in(ballot, base, members[5].username)
    ballot.goto(base + reverse("reviews:ballot", args=[poll.pk]))
    ballot.get_by_text("整改情况满意度测评：请对下列 1 位评议对象").wait_for()
    item = ballot.locator(".ballot-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(NAME)
    item.get_by_text("不满意", exact=True).tap()
    expect(item.get_by_role("radio", name="不满意", exact=True)).to_be_checked()
    assert fits(ballot, PHONE)
    screenshot(artifacts, ballot, "06-ballot-phone")
    ballot.get_by_role("button", name="下一步：核对选择").tap()
    ballot.get_by_role("heading", name="请核对您的选择").wait_for()
    ballot.get_by_role("button", name="确认提交").tap()
    ballot.get_by_role("heading", name="投票成功").wait_for()
    assert fits(ballot, PHONE)
    assert meetings.turnout(poll) == meetings.Turnout(voted=6, entitled=6)

    council.goto(base + reverse("reviews:control", args=[meeting.pk]))
    council.get_by_role("button", name="结束投票并封存选票").click()
    council.get_by_role("heading", name="确认结束投票？").wait_for()
    council.get_by_role("button", name="确认结束").click()
    council.locator(".alert-success", has_text="选票已封存").wait_for()
    council.get_by_role("button", name="公布结果（大屏显示）").click()
    council.locator(".alert-success", has_text="已公布").wait_for()
    assert fits(council, DESKTOP)
    screenshot(artifacts, council, "07-control-published")
    council.get_by_role("link", name="测评结果").click()
    council.locator("h1", has_text="测评结果").wait_for()
    result_row = council.locator("tbody tr", has_text=NAME).first
    expect(result_row).to_contain_text("5 / 9")
    expect(result_row).to_contain_text("不满意")
    screenshot(artifacts, council, "08-results")
    first_round = case.rounds.get(number=1)
    assert first_round.outcome == RoundOutcome.DISSATISFIED
    assert (first_round.dissatisfied, first_round.composition_total) == (5, 9)
    case.refresh_from_db()
    assert case.status == "open"

    # --- 6. The council orders 继续整改; the ledger shows round 2 ----------------------------
    council.goto(base + reverse("rectification:council_cases"))
    pending = council.locator("#pending-heading").locator("xpath=../..").locator("li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(NAME)
    expect(pending).to_contain_text("5")
    assert fits(council, DESKTOP)
    screenshot(artifacts, council, "09-council-cases")
    pending.get_by_role("link", name=re.compile(rf"^决定继续整改\s*：{NAME}$")).click()
    council.wait_for_url(f"**{reverse('rectification:order_continue', args=[case.pk])}")
    council.get_by_label("作出决定的主任会议").fill(COUNCIL_SESSION)
    expect(council.get_by_label("会议日期")).to_have_value(today.isoformat())
    council.get_by_label("继续整改要求").fill("重点整改执法程序问题，逐项销号。")
    council.get_by_role("button", name="决定继续整改").click()
    council.wait_for_url(f"**{reverse('rectification:council_cases')}")
    council.locator(".alert-success", has_text=f"已决定{NAME}继续整改（第2轮）").wait_for()
    continued = council.locator("#continued-heading").locator("xpath=../..")
    expect(continued).to_contain_text(COUNCIL_SESSION)
    screenshot(artifacts, council, "10-council-continued")
    second_round = case.rounds.get(number=2)
    assert second_round.council_session == COUNCIL_SESSION
    assert case.rounds.get(number=1).outcome == RoundOutcome.CONTINUED

    ledger_url = base + reverse("rectification:ledger", args=[w.review.pk])
    clerk.goto(ledger_url)
    expect(clerk.locator("#progress")).to_contain_text("继续整改第2轮")
    rows = clerk.locator("#rows tbody tr")
    expect(rows).to_have_count(2)
    for row, fixed in zip(rows.all(), [REVISED, FIXES[1][0]], strict=True):
        expect(row).to_contain_text(NAME)
        expect(row).to_contain_text("第2轮")
        expect(row).to_contain_text(fixed)
    assert fits(clerk, DESKTOP)
    screenshot(artifacts, clerk, "11-ledger-desktop")

    with clerk.expect_download() as info:
        clerk.get_by_role("link", name="导出 Excel").click()
    book = load_workbook(BytesIO(Path(info.value.path()).read_bytes()))
    sheet = book["整改台账"]
    header = [c.value for c in sheet[1]]
    lines = [
        dict(zip(header, (c.value for c in line), strict=True))
        for line in sheet.iter_rows(min_row=2)
    ]
    assert len(lines) == 2
    problems = [i.problem for i in items]
    assert [line[header[4]] for line in lines] == problems
    assert {line[header[2]] for line in lines} == {2}
    assert [line[header[6]] for line in lines] == [REVISED, FIXES[1][0]]

    officer = opened(PHONE)
    log_in(officer, base, office_clerk.username)
    officer.goto(ledger_url)
    expect(officer.locator("#progress")).to_contain_text("继续整改第2轮")
    assert fits(officer, PHONE)
    screenshot(artifacts, officer, "12-ledger-phone")

    # The official sees the second round and its requirements on the case page.
    phone.goto(base + reverse("rectification:official_case", args=[case.pk]))
    expect(phone.locator("#rounds-heading").locator("xpath=../..")).to_contain_text("第2轮")
    expect(phone.locator("#report-heading")).to_contain_text("（第2轮）")
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "13-official-round-two-phone")

    for watch in watches:
        assert watch.errors == []
        assert watch.foreign == []
