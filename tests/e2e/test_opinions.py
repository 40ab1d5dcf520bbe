"""Issue 6 (评议意见与公文) along its main path, through the real pages:

1. the office clerk drafts the 评议意见 of one subject from the prefilled text, edits the
   总体评价, marks one clause 不公开 and submits it to the 主任会议;
2. the chair approves it in the council's list, with the session and its date;
3. the clerk issues it: a 发文字号 is allocated and the PDF (rendered by the worker's task,
   run here from the test) downloads;
4. the official signs for it (签收) on a 390 px phone;
5. the clerk publishes it, and an anonymous visitor reads the public version: without the
   clause marked 不公开 and without any finding code.

Screenshots go to test-artifacts/e2e/ (opinions-*.png)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from rectification import documents
from rectification.models import Document, DocumentKind, Opinion, OpinionStatus, RenderStatus
from reviews.models import Review
from subjects.models import Notification
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD
from tests.rectification.world import build_opinion_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "王堃喆"
SESSION = "第三十二次主任会议"
# The prefilled clauses: one per category of the subject's findings, in category order.
LAW_CLAUSE = "依法行政方面存在不足。部分执法人员执法程序不够规范；行政复议纠错率偏高。"
PROPOSALS_CLAUSE = "办理代表建议方面存在不足。代表建议答复后跟踪落实不够。"
OVERALL = (
    "王堃喆同志任职以来，认真贯彻落实县委决策部署，推进法治政府建设，"
    "依法行政水平有所提高，群众满意度稳步提升。\n"
    "会上，常委会组成人员就执法规范化建设提出询问，王堃喆同志当场作了回答。"
)


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
    page.screenshot(path=str(artifacts / f"opinions-{name}.png"), full_page=full_page)


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def world(office_clerk, official_a):
    w = build_opinion_world(office_clerk, official_a)
    # The public page shows only a published review; its announcement is not under test here.
    Review.objects.filter(pk=w.review.pk).update(published_at=timezone.now())
    w.review.refresh_from_db()
    return w


def test_opinion_from_draft_to_public_page(
    open_page, live_server, world, office_clerk, chair, official_a, artifacts
):
    w = world
    base = live_server.url
    subject = w.subjects[0]
    today = timezone.localdate()
    year = today.year

    # --- 1. The clerk drafts, edits and submits ------------------------------------------------
    clerk, clerk_watch = open_page(DESKTOP)
    log_in(clerk, base, office_clerk.username)
    clerk.goto(base + reverse("reviews:detail", args=[w.review.pk]))
    card = clerk.locator("#documents")
    expect(card).to_contain_text("评议意见 0 份")
    card.get_by_role("link", name="打开").click()
    clerk.wait_for_url(f"**{reverse('rectification:review_documents', args=[w.review.pk])}")
    clerk.locator("h1", has_text="评议意见与公文").wait_for()
    rows = clerk.locator("#opinions-heading").locator("xpath=../..").locator("tbody tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text=NAME)
    expect(row).to_contain_text("未起草")
    assert fits(clerk, DESKTOP)
    screenshot(artifacts, clerk, "01-documents")

    row.get_by_role("button", name=re.compile(rf"^起草\s*{NAME}的评议意见$")).click()
    clerk.locator("h1", has_text=f"编辑评议意见 · {NAME}").wait_for()
    opinion = Opinion.objects.get(subject=subject)
    assert opinion.status == OpinionStatus.DRAFT and opinion.version == 1
    # The prefilled text: title broken before 履职情况, the 测评 result and the 询问 in the
    # 总体评价, one clause per category citing its findings, the deadlines of the rules.
    title = clerk.get_by_role("textbox", name="标题")
    assert title.input_value().endswith(f"{NAME}同志\n履职情况的评议意见")
    expect(clerk.get_by_role("textbox", name="开头")).to_have_value(re.compile("第二十三次会议"))
    overall = clerk.get_by_role("textbox", name="评价内容")
    prefilled = overall.input_value()
    assert "满意度测评结果为" in prefilled and "100.0%" in prefilled
    assert "提出询问1次" in prefilled and "1项承诺会后书面答复" in prefilled
    clauses = clerk.locator("fieldset.clause-card")
    expect(clauses).to_have_count(3)  # two prefilled and an empty one to add
    expect(clauses.nth(0).get_by_role("textbox", name="问题表述")).to_have_value(LAW_CLAUSE)
    expect(clauses.nth(1).get_by_role("textbox", name="问题表述")).to_have_value(PROPOSALS_CLAUSE)
    expect(clauses.nth(2).get_by_role("textbox", name="问题表述")).to_have_value("")
    first_codes = clauses.nth(0).locator("input[type=checkbox][name$=findings]:checked")
    expect(first_codes).to_have_count(2)
    expect(clauses.nth(1).locator("input[name$=findings]:checked")).to_have_count(1)
    requirements = clerk.get_by_role("textbox", name="要求内容")
    expect(requirements).to_have_value(re.compile("1个月内将整改方案报送常委会"))

    overall.fill(OVERALL)
    assert fits(clerk, DESKTOP)
    screenshot(artifacts, clerk, "02-editor")
    clerk.get_by_role("button", name="保存", exact=True).click()
    clerk.locator(".alert-success", has_text="已保存评议意见（第 2 稿）").wait_for()
    clerk.locator("h1", has_text=f"评议意见 · {NAME}").wait_for()
    sheet = clerk.locator("article.doc-sheet")
    expect(sheet).to_contain_text("认真贯彻落实县委决策部署")
    expect(sheet).not_to_contain_text("请根据调查报告填写履职成效")
    opinion.refresh_from_db()
    # (The browser sends the textarea's line breaks as CRLF; the text is kept by lines.)
    assert opinion.version == 2 and opinion.overall.splitlines() == OVERALL.splitlines()

    # The second clause is for the committee only.
    clerk.get_by_role("link", name="编辑").click()
    clerk.locator("h1", has_text=f"编辑评议意见 · {NAME}").wait_for()
    expect(clerk.get_by_role("textbox", name="评价内容")).to_have_value(OVERALL)
    clauses = clerk.locator("fieldset.clause-card")
    clauses.nth(1).get_by_label("不公开").check()
    clerk.get_by_role("button", name="保存", exact=True).click()
    clerk.locator(".alert-success", has_text="已保存评议意见（第 3 稿）").wait_for()
    internal = clerk.locator("article.doc-sheet p.doc-internal")
    expect(internal).to_have_count(1)
    expect(internal).to_contain_text(PROPOSALS_CLAUSE)
    saved = list(opinion.clauses.order_by("order"))
    assert [(c.text, c.internal) for c in saved] == [
        (LAW_CLAUSE, False),
        (PROPOSALS_CLAUSE, True),
    ]
    assert [sorted(f.number for f in c.findings.all()) for c in saved] == [[1, 2], [3]]

    clerk.get_by_role("button", name="提请主任会议审议").click()
    clerk.locator(".alert-success", has_text="已提请主任会议审议").wait_for()
    expect(clerk.locator("p.small .badge").first).to_have_text("待主任会议审议")
    expect(clerk.get_by_role("link", name="编辑")).to_have_count(0)
    screenshot(artifacts, clerk, "03-submitted")
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.SUBMITTED and opinion.version == 3

    # --- 2. The chair approves ---------------------------------------------------------------
    council, council_watch = open_page(DESKTOP)
    log_in(council, base, chair.username)
    council.locator("#mainNav").get_by_role("link", name="评议意见").click()
    council.locator("h1", has_text="评议意见").wait_for()
    pending = council.locator("#pending-heading").locator("xpath=../..").locator("li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(NAME)
    expect(pending).to_contain_text("第 3 稿")
    screenshot(artifacts, council, "04-council-list")
    pending.get_by_role("link", name=re.compile(rf"^审阅并审议\s*{NAME}的评议意见$")).click()
    council.locator("h1", has_text=f"评议意见 · {NAME}").wait_for()
    decide = council.locator("#decide")
    # The council reads the whole text, the internal clause marked, but cannot edit.
    expect(council.locator("article.doc-sheet")).to_contain_text(PROPOSALS_CLAUSE)
    expect(council.get_by_role("link", name="编辑")).to_have_count(0)
    decide.get_by_label("审议的主任会议").fill(SESSION)
    decide.get_by_label("会议日期").fill(today.isoformat())
    decide.get_by_role("button", name="批准").click()
    council.locator(".alert-success", has_text="已批准评议意见").wait_for()
    expect(council.locator("#decide")).to_have_count(0)
    expect(council.locator("p.small").first).to_contain_text(f"{SESSION}（{cn_date(today)}）批准")
    screenshot(artifacts, council, "05-approved")
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.APPROVED
    assert opinion.council_session == SESSION and opinion.council_date == today

    # --- 3. The clerk issues; the worker renders the PDF --------------------------------------
    clerk.goto(base + reverse("rectification:opinion", args=[opinion.pk]))
    issue = clerk.locator("#issue")
    expect(issue).to_be_visible()
    issue.get_by_label("成文日期").fill(today.isoformat())
    issue.get_by_role("button", name="印发", exact=True).click()
    clerk.locator(".alert-success", has_text="已印发").wait_for()
    heading = clerk.locator("h1")
    expect(heading).to_contain_text(re.compile(rf"评议意见 \S+〔{year}〕1号"))
    document = Document.objects.get(opinion=opinion)
    assert document.kind == DocumentKind.OPINION and document.number == 1
    assert document.year == year and document.signed_on == today
    assert document.reference.endswith(f"〔{year}〕1号")
    expect(heading).to_contain_text(document.reference)
    expect(clerk.locator("article.doc-sheet .doc-reference")).to_have_text(document.reference)
    expect(clerk.locator("article.doc-sheet .doc-signature")).to_contain_text(cn_date(today))
    # The office's reading shows the internal clause and the finding codes.
    expect(clerk.locator("article.doc-sheet")).to_contain_text(f"问题-{w.review.year}-003")
    expect(clerk.locator("#meta-heading").locator("xpath=../..")).to_contain_text("未签收")
    assert document.render_status == RenderStatus.PENDING
    expect(clerk.get_by_role("link", name="下载 PDF")).to_have_count(0)
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.ISSUED

    # No worker runs in the tests (memory broker): run the task's service here.
    assert documents.render_document(document.pk) is True
    clerk.reload()
    expect(clerk.locator(".badge", has_text="PDF 已生成")).to_be_visible()
    download = clerk.get_by_role("link", name="下载 PDF")
    fetched = clerk.request.get(base + download.get_attribute("href"))
    assert fetched.ok
    assert fetched.headers["content-type"].startswith("application/pdf")
    assert fetched.body().startswith(b"%PDF-")
    assert fits(clerk, DESKTOP)
    screenshot(artifacts, clerk, "06-issued")

    # --- 4. The official signs for it on a phone ---------------------------------------------
    note = Notification.objects.get(recipient=official_a, title__contains=document.reference)
    assert note.url == reverse("rectification:official_document", args=[document.pk])
    phone, phone_watch = open_page(PHONE)
    log_in(phone, base, official_a.username)
    phone.goto(base + reverse("notifications"))
    notes = phone.locator(".list-group-item")
    expect(notes.filter(has_text=f"收到评议意见：{document.reference}")).to_have_count(1)
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "07-phone-notifications")

    phone.goto(base + reverse("reviews:official_home"))
    phone.locator("a.review-card", has_text=w.review.title).click()
    phone.wait_for_url(f"**{reverse('reviews:official_subject', args=[subject.pk])}")
    opinion_card = phone.locator(".card", has_text="评议意见").first
    expect(opinion_card).to_contain_text(document.reference)
    expect(opinion_card).to_contain_text("尚未签收")
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "08-phone-subject")

    opinion_card.get_by_role("link", name="查看并签收").tap()
    phone.wait_for_url(f"**{reverse('rectification:official_document', args=[document.pk])}")
    sheet = phone.locator("article.doc-sheet")
    expect(sheet).to_contain_text(LAW_CLAUSE.split("。")[0])
    expect(sheet).not_to_contain_text("问题-")  # codes are for the committee
    expect(phone.get_by_role("link", name="下载 PDF")).to_be_visible()
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "09-phone-document")
    phone.get_by_role("button", name="签收").tap()
    phone.locator(".alert-success", has_text="已签收").wait_for()
    receipt = phone.locator("#receipt-heading").locator("xpath=../..")
    expect(receipt).to_contain_text(f"已于{cn_date(today)}签收")
    expect(receipt.get_by_role("button", name="签收")).to_have_count(0)
    expect(phone.locator("#clock-heading").locator("xpath=../..")).to_contain_text(
        "整改方案：收到评议意见之日起 1 个月内"
    )
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "10-phone-acknowledged")
    document.refresh_from_db()
    assert document.received_on == today and document.received_by == official_a
    assert document.receipt_recorded is False
    phone.goto(base + reverse("reviews:official_subject", args=[subject.pk]))
    expect(phone.locator(".card", has_text="评议意见").first).to_contain_text(
        f"已于{cn_date(today)}签收"
    )

    # --- 5. The clerk publishes; the public sees the public version ---------------------------
    clerk.reload()
    expect(clerk.locator("#meta-heading").locator("xpath=../..")).to_contain_text(
        f"{cn_date(today)}（本人签收）"
    )
    publish = clerk.locator("#publish")
    expect(publish).to_contain_text("不含标为“不公开”的内容")
    publish.get_by_role("button", name="公开", exact=True).click()
    clerk.locator(".alert-success", has_text="公文已在评议公示页面公开").wait_for()
    expect(clerk.locator("#publish")).to_contain_text("撤回公开")
    document.refresh_from_db()
    assert document.published_at is not None

    visitor, visitor_watch = open_page(DESKTOP)
    visitor.goto(base + reverse("reviews:public_review", args=[w.review.pk]))
    listed = visitor.locator("#public-documents-heading").locator("xpath=../..")
    expect(listed).to_contain_text(document.reference)
    expect(visitor.locator("main")).not_to_contain_text("问题-")
    assert fits(visitor, DESKTOP)
    screenshot(artifacts, visitor, "11-public-review")
    listed.get_by_role("link").first.click()
    visitor.wait_for_url(f"**{reverse('rectification:public_document', args=[document.pk])}")
    public_sheet = visitor.locator("article.doc-sheet")
    expect(public_sheet).to_contain_text(document.reference)
    expect(public_sheet).to_contain_text("认真贯彻落实县委决策部署")
    expect(public_sheet).to_contain_text(LAW_CLAUSE.split("。")[1])
    expect(public_sheet).not_to_contain_text("代表建议答复后跟踪落实不够")
    expect(public_sheet).not_to_contain_text("办理代表建议方面")
    expect(public_sheet.locator(".doc-internal")).to_have_count(0)
    body_text = visitor.locator("body").inner_text()
    assert "问题-" not in body_text and "不公开" not in body_text
    expect(visitor.locator(".alert-info")).to_contain_text("本页为公开版本")
    # The stored PDF carries the internal clause, so there is no public download of it.
    expect(visitor.get_by_role("link", name="下载 PDF")).to_have_count(0)
    denied = visitor.request.get(
        base + reverse("rectification:public_document_pdf", args=[document.pk])
    )
    assert denied.status == 404
    assert fits(visitor, DESKTOP)
    screenshot(artifacts, visitor, "12-public-document")

    for watch in (clerk_watch, council_watch, phone_watch, visitor_watch):
        assert watch.errors == []
        assert watch.foreign == []
