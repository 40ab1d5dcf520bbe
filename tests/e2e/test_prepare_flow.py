"""Phase 1 (准备) as the people who do it: the office imports the roster from Excel, creates a
述职评议, sets up the leading group, a working group and the subjects, uploads the plan and
submits it; the leading group's head approves it; the office publishes the announcement,
which anyone can read without logging in; the reviewed official sees the enrolment on a
phone. Every step goes through the real pages. Screenshots go to test-artifacts/e2e/."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook

from reviews.models import Review, Subject
from reviews.workflow import Phase, PlanStatus
from subjects.demo import DEMO_PASSWORD, seed_members, seed_users
from subjects.imports import COLUMNS
from subjects.models import Official, User
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

TITLE = "2026 年度县政府组成部门负责人述职评议"
GROUP = "第一评议工作组"
# What the office types into the timetable: each phase after the one before it.
TIMETABLE = {
    "准备阶段开始": "2026-11-01",
    "准备阶段结束": "2026-12-15",
    "调查阶段开始": "2026-12-16",
    "调查阶段结束": "2027-02-28",
    "评议会议阶段开始": "2027-03-01",
    "评议会议阶段结束": "2027-03-31",
    "整改阶段开始": "2027-04-01",
    "整改阶段结束": "2027-07-31",
}


def roster_rows(today: date) -> list[tuple]:
    """Eight officials in four units; 陈思远 and 田秀兰 have held their posts under 3 years."""
    recent, more_recent = today - timedelta(days=800), today - timedelta(days=400)
    return [
        # 姓名, 性别, 单位, 单位类别, 职务, 任命日期, 任现职时间, 届次, 状态, 手机号
        ("赵建华", "男", "县自然资源局", "政府组成部门", "局长", date(2020, 12, 29),
         date(2020, 12, 29), "第十七届", "在任", "13800010007"),
        ("姚立平", "男", "县自然资源局", "", "副局长", date(2022, 7, 27),
         date(2022, 7, 27), "第十八届", "在任", ""),
        ("孙丽", "女", "县市场监督管理局", "政府组成部门", "局长", date(2021, 4, 27),
         date(2021, 4, 27), "第十八届", "在任", ""),
        ("陈思远", "男", "县市场监督管理局", "", "副局长", more_recent,
         more_recent, "第十八届", "", ""),
        ("唐晓燕", "女", "县人民法院", "法院", "副院长", date(2020, 6, 28),
         date(2020, 6, 28), "第十七届", "在任", ""),
        ("戴永明", "男", "县人民法院", "", "民事审判第二庭庭长", date(2021, 3, 30),
         date(2021, 3, 30), "第十八届", "在任", ""),
        ("伍光辉", "男", "县人民检察院", "检察院", "副检察长", "2020-09-24",
         "2020/9/24", "第十七届", "在任", ""),
        ("田秀兰", "女", "县人民检察院", "", "检察员", recent,
         recent, "第十八届", "在任", ""),
    ]  # fmt: skip


def write_roster(path, rows) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名册"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return str(path)


def log_in(page, base_url, login, password=DEMO_PASSWORD):
    page.goto(base_url + "/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def accounts(transactional_db):
    seed_users()
    seed_members()


def test_office_prepares_a_review_and_the_leading_group_approves_the_plan(
    open_page, live_server, accounts, artifacts, tmp_path
):
    base = live_server.url
    step = iter(range(1, 100))

    def shot(page, name, **kwargs):
        path = artifacts / f"prepare-{next(step):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True, **kwargs)

    def expect_message(page, text):
        # Waits for this very message: the page before the click may show another one.
        page.locator(".messages .alert-success", has_text=text).wait_for()

    def log_out(page):
        page.locator(".dropdown-toggle").click()
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("button", name="登录").wait_for()

    def heading(page, text):
        page.locator("h1", has_text=text).wait_for()

    page, watch = open_page(DESKTOP)

    # --- 2. The office imports the roster ---------------------------------------------------
    log_in(page, base, "office")
    heading(page, "工作台")
    page.get_by_role("link", name="名册", exact=True).click()
    heading(page, "被任命人员名册")
    page.get_by_role("link", name="导入 Excel").click()
    heading(page, "导入名册")

    rows = roster_rows(timezone.localdate())
    bad = list(rows)
    bad[2] = ("孙丽", "女士", *rows[2][2:])  # Excel line 4: 性别 must be 男 or 女
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(
        write_roster(tmp_path / "名册（有误）.xlsx", bad)
    )
    page.get_by_role("button", name="检查并导入").click()
    problems = page.locator(".alert-danger")
    problems.wait_for()
    assert "文件中有 1 行存在 1 处问题，未导入任何数据" in problems.inner_text()
    error_rows = page.locator("table.import-errors tbody tr")
    assert error_rows.count() == 1
    cells = error_rows.first.locator("td").all_inner_texts()
    assert cells[:2] == ["第 4 行", "性别"]
    assert "女士" in cells[2]
    assert Official.objects.count() == 0
    shot(page, "roster-import-errors")

    page.get_by_label("Excel 文件（.xlsx）").set_input_files(
        write_roster(tmp_path / "名册.xlsx", rows)
    )
    page.get_by_role("button", name="检查并导入").click()
    expect_message(page, "导入完成：新增 8 人，更新 0 人，新增单位 4 个")
    heading(page, "被任命人员名册")
    assert "赵建华" in page.locator("main").inner_text()
    assert Official.objects.count() == 8
    shot(page, "roster-imported")

    # --- 3. 赵建华's login, linked as the office would in the admin --------------------------
    zhao = Official.objects.get(name="赵建华", unit__name="县自然资源局")
    zhao.user = User.objects.get(username="official")
    zhao.save(update_fields=["user"])

    # --- 4. The office creates the review --------------------------------------------------
    page.get_by_role("link", name="评议活动", exact=True).click()
    heading(page, "评议活动")
    page.get_by_role("link", name="新建评议活动").click()
    heading(page, "新建评议活动")
    page.get_by_label("评议类型").select_option(label="述职评议")
    page.get_by_label("年度").fill("2026")
    page.get_by_label("届次").fill("第十八届")
    page.get_by_label("名称").fill(TITLE)
    for label, value in TIMETABLE.items():
        page.get_by_label(label).fill(value)
    shot(page, "review-create")
    page.get_by_role("button", name="创建评议活动").click()
    expect_message(page, f"已创建评议活动“{TITLE}”。")
    heading(page, TITLE)
    review = Review.objects.get(title=TITLE)
    detail_url = f"{base}/reviews/{review.pk}/"
    assert page.url == detail_url
    assert review.term == "第十八届" and review.timetable_complete

    # --- 5. Leading group, working group, subjects -----------------------------------------
    page.locator("#leadership").get_by_role("link", name="编辑").click()
    heading(page, "领导小组")
    first = page.get_by_role("group", name="第 1 人")
    first.get_by_label("人员").select_option(label="张德明（常务副主任、评议工作领导小组组长）")
    first.get_by_label("职务").select_option(label="组长")
    first.get_by_label("本职").fill("常委会常务副主任")
    second = page.get_by_role("group", name="第 2 人")
    second.get_by_label("人员").select_option(label="吴淑芬（常委会副主任）")
    second.get_by_label("职务").select_option(label="副组长")
    second.get_by_label("本职").fill("常委会副主任")
    page.get_by_role("button", name="保存领导小组").click()
    expect_message(page, "领导小组已保存。")
    leadership = page.locator("#leadership").inner_text()
    assert "组长" in leadership and "张德明" in leadership and "吴淑芬" in leadership

    page.get_by_role("link", name="新建工作组").click()
    heading(page, "新建评议工作组")
    assert page.get_by_label("名称").input_value() == GROUP
    page.get_by_label("组长", exact=True).select_option(label="黄国平（常委会副主任）")
    page.get_by_label("徐建军（主任）").check()
    shot(page, "group-create")
    page.get_by_role("button", name="保存", exact=True).click()
    expect_message(page, f"评议工作组“{GROUP}”已保存。")
    group_row = page.locator("#groups tbody tr", has_text=GROUP)
    assert "黄国平" in group_row.inner_text() and "徐建军" in group_row.inner_text()

    page.locator("#subjects").get_by_role("link", name="添加评议对象").click()
    heading(page, "添加评议对象")
    page.get_by_label("任现职满（年）").fill("3")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"min_years=3"))
    candidates = page.locator("table tbody")
    offered = candidates.inner_text()
    for name in ("赵建华", "姚立平", "孙丽", "唐晓燕", "戴永明", "伍光辉"):
        assert name in offered
    assert "陈思远" not in offered and "田秀兰" not in offered
    assert candidates.locator("tr").count() == 6
    for name in ("赵建华", "孙丽", "唐晓燕"):
        page.get_by_label(name, exact=True).check()
    page.get_by_label("现场述职").check()
    page.get_by_label("评议工作组", exact=True).select_option(label=GROUP)
    shot(page, "enrol")
    page.get_by_role("button", name="确定为评议对象").click()
    expect_message(page, "已确定 3 名评议对象。")
    assert "min_years=3" in page.url  # the filter survives the POST
    assert page.locator("table tbody tr").count() == 3

    page.get_by_role("link", name="返回评议活动").click()
    heading(page, TITLE)
    page.get_by_role("link", name="调整述职形式和分组").click()
    heading(page, "调整述职形式和分组")
    page.get_by_label("唐晓燕的述职形式").select_option(label="书面述职")
    shot(page, "subjects")
    page.get_by_role("button", name="保存修改").click()
    expect_message(page, "已调整 1 个评议对象。")
    heading(page, TITLE)
    subject_rows = page.locator("#subjects tbody tr")
    assert subject_rows.count() == 3
    assert "现场述职" in subject_rows.filter(has_text="赵建华").inner_text()
    assert "书面述职" in subject_rows.filter(has_text="唐晓燕").inner_text()
    forms = dict(Subject.objects.filter(review=review).values_list("official__name", "form"))
    assert forms == {"赵建华": "onsite", "孙丽": "onsite", "唐晓燕": "written"}

    # --- 6. The plan: upload and submit -----------------------------------------------------
    from weasyprint import HTML

    plan_pdf = tmp_path / "实施方案.pdf"
    plan_pdf.write_bytes(HTML(string="<p>实施方案</p>").write_pdf())
    page.locator("#plan").get_by_role("link", name="上传与报批").click()
    heading(page, "实施方案")
    page.get_by_label("实施方案文件").set_input_files(str(plan_pdf))
    page.get_by_role("button", name="上传", exact=True).click()
    expect_message(page, "实施方案已上传。确认无误后请提交领导小组审批。")
    page.get_by_role("button", name="提交领导小组审批").click()
    expect_message(page, "实施方案已提交领导小组审批")
    assert "待领导小组审批" in page.locator("main").inner_text()
    shot(page, "plan-submitted")
    assert watch.errors == [] and watch.foreign == []
    log_out(page)

    # --- 7. The head of the leading group approves ------------------------------------------
    log_in(page, base, "council")
    heading(page, "待审议事项")
    pending = page.locator(".list-group-item", has_text=TITLE)
    pending.wait_for()
    shot(page, "council-home")
    pending.get_by_role("link", name="审阅并审批").click()
    heading(page, "实施方案")
    page.get_by_label("审批意见").fill("同意。请按方案组织实施。")
    page.get_by_role("button", name="批准", exact=True).click()
    expect_message(page, "已批准实施方案，评议办会收到通知。")
    status = page.locator("section", has=page.locator("#status-heading"))
    assert "已批准" in status.locator(".badge").inner_text()
    assert "张德明" in status.inner_text()
    assert "同意。请按方案组织实施。" in status.inner_text()
    shot(page, "plan-approved")
    review.refresh_from_db()
    assert review.plan_status == PlanStatus.APPROVED
    assert review.plan_decided_by.username == "council"
    assert watch.errors == [] and watch.foreign == []
    log_out(page)

    # --- 8. The office publishes the announcement -------------------------------------------
    log_in(page, base, "office")
    heading(page, "工作台")
    page.get_by_role("link", name=TITLE).click()
    heading(page, TITLE)
    page.get_by_role("link", name="管理公示").click()
    heading(page, "公示")
    page.get_by_role("textbox", name="公示说明").fill(
        "为加强对被任命人员的监督，县人大常委会决定对以下人员开展述职评议。\n联系电话：0000-1234567"
    )
    page.get_by_role("button", name="保存公示说明").click()
    expect_message(page, "公示说明已保存。")
    page.get_by_role("button", name="发布公示").click()
    expect_message(page, "已发布公示，公众无需登录即可查看公示页面。")
    shot(page, "announcement-published")
    public_url = page.locator("main a.text-break").get_attribute("href")
    assert public_url == f"/public/reviews/{review.pk}/"

    public_page, public_watch = open_page(DESKTOP)  # a fresh context: nobody logged in
    public_page.goto(base + public_url)
    public_page.locator("h1", has_text=TITLE).wait_for()
    listed = public_page.locator("table tbody").inner_text()
    for name in ("赵建华", "孙丽", "唐晓燕"):
        assert name in listed
    assert "县自然资源局局长" in listed
    assert "陈思远" not in listed
    assert "为加强对被任命人员的监督" in public_page.locator(".announcement-text").inner_text()
    shot(public_page, "public-announcement")
    assert public_watch.errors == [] and public_watch.foreign == []

    page.goto(detail_url)
    heading(page, TITLE)
    assert page.locator(".blocker-list").count() == 0
    next_step = page.locator("section", has=page.locator("#next-heading"))
    assert "本阶段的工作已全部就绪" in next_step.inner_text()
    assert page.get_by_role("button", name="推进到下一阶段").is_enabled()
    assert "已公示" in page.locator("#announcement").inner_text()
    shot(page, "review-ready")
    review.refresh_from_db()
    assert review.phase == Phase.PREPARE and review.is_published
    assert watch.errors == [] and watch.foreign == []

    # --- 9. 赵建华 sees the enrolment on his phone --------------------------------------------
    phone, phone_watch = open_page(PHONE)
    log_in(phone, base, "official")
    heading(phone, "我的评议")
    card = phone.locator("a.review-card", has_text=TITLE)
    card.wait_for()
    text = card.inner_text()
    assert "现场述职" in text and GROUP in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    shot(phone, "official-home-phone")
    card.click()
    heading(phone, TITLE)
    arrangement = phone.locator(".card", has_text="我的评议安排").inner_text()
    assert "现场述职" in arrangement and GROUP in arrangement and "组长：黄国平" in arrangement
    assert phone.get_by_role("link", name="下载").is_visible()  # the approved plan
    # A phase that ends in the next year says so.
    timeline = phone.locator("ol.timeline").inner_text()
    assert "2026年12月16日 — 2027年2月28日" in timeline
    assert "2026年11月1日 — 12月15日" in timeline
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    shot(phone, "official-subject-phone")
    assert phone_watch.errors == [] and phone_watch.foreign == []
