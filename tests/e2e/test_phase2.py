"""Phase 2 (调查/初评) as its three kinds of users do it, through the real pages:

1. a deputy answers a matrix questionnaire on a 390 px phone with the invitation code from a
   slip (one section at a time, answers kept over a reload), and the code cannot be used
   again;
2. an official uploads a 述职报告 (PDF) on their subject page and sees its version and status;
3. a working-group member records a 座谈会 and two findings of the 问题清单.

Screenshots go to test-artifacts/e2e/ (phase2-*.png)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Review
from reviews.workflow import Phase
from surveys import duty_reports
from surveys.invitations import issue_batch
from surveys.models import (
    Activity,
    Answer,
    DutyReport,
    DutyReportStatus,
    DutyReportVersion,
    Finding,
    Invitation,
    Question,
    Response,
    Section,
)
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import (
    PASSWORD,
    OfficialFactory,
    ReviewFactory,
    SubjectFactory,
    UnitFactory,
    WorkingGroupFactory,
    matrix_questionnaire,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Realistic names so the screenshots show real line lengths.
SUBJECTS = [
    ("赵建华", "县自然资源局", "局长"),
    ("孙丽", "县市场监督管理局", "局长"),
    ("唐晓燕", "县人民法院", "审判委员会委员、民事审判第二庭庭长"),
    ("伍光辉", "县人民检察院", "副检察长"),
    ("田秀兰", "县教育局", "局长"),
]
SCALE = [("satisfied", "满意"), ("basic", "基本满意"), ("dissatisfied", "不满意")]
OPINION = "希望进一步压缩行政审批时限，窗口服务再热情一些。"


def log_in(page, base_url, login, password=PASSWORD):
    page.goto(base_url + "/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.locator(".breadcrumb").wait_for()  # landed on the role's home page


def fits(page, profile) -> bool:
    """Nothing overflows the screen sideways."""
    return page.evaluate("document.documentElement.scrollWidth") <= profile["viewport"]["width"]


def set_phase(review, phase):
    Review.objects.filter(pk=review.pk).update(phase=phase)
    review.refresh_from_db()
    return review


def enrol(review, group=None, users=()):
    """The five SUBJECTS as enrolled officials; users[i], when given, logs in as subject i."""
    subjects = []
    for order, (name, unit, post) in enumerate(SUBJECTS, 1):
        user = users[order - 1] if order <= len(users) else None
        official = OfficialFactory(name=name, unit=UnitFactory(name=unit), post=post, user=user)
        subjects.append(SubjectFactory(review=review, official=official, group=group, order=order))
    return subjects


def make_pdf(path, title: str) -> bytes:
    """A real, text-bearing PDF as an office would export it."""
    from weasyprint import HTML

    html = (
        f"<h1>{title}</h1><p>一年来，在县委的坚强领导和县人大常委会的监督支持下，"
        "我认真履行岗位职责，依法行政……</p>"
    )
    data = HTML(string=html).write_pdf()
    path.write_bytes(data)
    return data


def screenshot(artifacts, page, name, full_page=True):
    page.screenshot(path=str(artifacts / f"phase2-{name}.png"), full_page=full_page)


# --- 1. A deputy answers on a phone with an invitation code ---------------------------------


@pytest.fixture
def questionnaire_world(office_clerk):
    review = set_phase(
        ReviewFactory(created_by=office_clerk, title="2025 年度述职评议"), Phase.INVESTIGATE
    )
    subjects = enrol(review)
    dimensions = list(review.dimensions.order_by("order", "pk")[:3])
    questionnaire = matrix_questionnaire(
        review, subjects, dimensions=dimensions, title="2025 年度述职评议人大代表满意度测评问卷"
    )
    # The opinions get a section of their own, so the respondent pages through two parts.
    second = Section.objects.create(questionnaire=questionnaire, title="意见和建议", order=2)
    text_question = Question.objects.get(questionnaire=questionnaire, kind="text")
    text_question.section = second
    text_question.save(update_fields=["section"])
    _batch, pairs = issue_batch(
        actor=office_clerk,
        questionnaire=questionnaire,
        label="县人大代表 3 名",
        delivery="slips",
        count=3,
    )
    return SimpleNamespace(
        review=review,
        subjects=subjects,
        dimensions=dimensions,
        questionnaire=questionnaire,
        matrix=Question.objects.get(questionnaire=questionnaire, kind="matrix"),
        text_question=text_question,
        invitation=pairs[0][0],
        code=pairs[0][1],
    )


def choice_for(subject_index: int, dimension_index: int) -> tuple[str, str]:
    """What the deputy taps: a different pattern per subject, so a mix-up would show."""
    return SCALE[(subject_index + dimension_index) % len(SCALE)]


def test_deputy_answers_on_a_phone_with_an_invitation_code(
    open_page, live_server, questionnaire_world, artifacts
):
    w = questionnaire_world
    base = live_server.url
    page, watch = open_page(PHONE)

    def shot(name, full_page=True):
        screenshot(artifacts, page, f"survey-{name}", full_page)

    # --- The slip's code, typed in lower case ---------------------------------------------
    page.goto(base + reverse("surveys:respond_code"))
    page.get_by_role("heading", name="填写问卷").wait_for()
    page.get_by_label("邀请码").fill(w.code.lower())
    assert fits(page, PHONE)
    shot("01-code")
    page.get_by_role("button", name="开始填写").tap()
    page.wait_for_url(f"**{reverse('surveys:respond_with_code', args=[w.code])}")
    page.get_by_role("heading", name=w.questionnaire.title).wait_for()

    # --- One section at a time: the matrix first, no submit button yet ---------------------
    first = page.locator("#survey-section-1")
    second = page.locator("#survey-section-2")
    expect(first).to_be_visible()
    expect(second).to_be_hidden()
    expect(first.locator(".survey-progress")).to_have_text("第 1/2 部分")
    expect(page.get_by_role("button", name="提交问卷")).to_be_hidden()
    subjects = first.locator(".survey-matrix-subject")
    expect(subjects).to_have_count(len(SUBJECTS))
    expect(first.locator(".survey-matrix-row")).to_have_count(len(SUBJECTS) * 3)
    assert fits(page, PHONE)
    shot("02-matrix-empty")

    def answer(subject_index):
        block = subjects.nth(subject_index)
        expect(block.locator(".survey-matrix-name")).to_contain_text(SUBJECTS[subject_index][0])
        rows = block.locator(".survey-matrix-row")
        for d in range(3):
            row = rows.nth(d)
            value, label = choice_for(subject_index, d)
            row.get_by_text(label, exact=True).tap()
            expect(row.locator(f"input[value={value}]")).to_be_checked()

    # Three subjects answered, then the page is reloaded (a dropped connection, a closed tab).
    for s in range(3):
        answer(s)
    shot("03-matrix-partly")
    page.reload()
    restored = page.locator("[data-survey-restored]")
    expect(restored).to_be_visible()
    expect(restored).to_contain_text("已恢复您上次在本机填写的内容")
    expect(first.locator("input[type=radio]:checked")).to_have_count(9)
    for s in range(3):
        for d in range(3):
            value, _ = choice_for(s, d)
            row = subjects.nth(s).locator(".survey-matrix-row").nth(d)
            expect(row.locator(f"input[value={value}]")).to_be_checked()
    shot("04-restored", full_page=False)

    for s in range(3, len(SUBJECTS)):
        answer(s)
    expect(first.locator("input[type=radio]:checked")).to_have_count(len(SUBJECTS) * 3)
    shot("05-matrix-done")

    # --- The second part: opinions, then submit -------------------------------------------
    first.get_by_role("button", name="下一部分").tap()
    expect(second).to_be_visible()
    expect(first).to_be_hidden()
    expect(second.locator(".survey-progress")).to_have_text("第 2/2 部分")
    second.get_by_label("意见和建议").fill(OPINION)
    submit = page.get_by_role("button", name="提交问卷")
    expect(submit).to_be_visible()
    assert fits(page, PHONE)
    shot("06-second-part")
    # 上一部分 shows the matrix again with every answer still there.
    second.get_by_role("button", name="上一部分").tap()
    expect(first.locator("input[type=radio]:checked")).to_have_count(len(SUBJECTS) * 3)
    first.get_by_role("button", name="下一部分").tap()
    expect(second.get_by_label("意见和建议")).to_have_value(OPINION)
    submit.tap()

    page.get_by_role("heading", name="提交成功，感谢您的参与").wait_for()
    assert page.url.endswith(reverse("surveys:respond_done", args=[w.questionnaire.pk]))
    assert fits(page, PHONE)
    shot("07-done")
    # The answers kept in the browser are forgotten once the questionnaire is in.
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('pingyi-survey:'))")
    assert kept == []

    # --- What was stored: one response, every cell, the code consumed ---------------------
    response = Response.objects.get(questionnaire=w.questionnaire)
    assert response.channel == "invitation"
    answers = Answer.objects.filter(response=response)
    assert answers.count() == len(SUBJECTS) * 3 + 1
    stored = {(a.subject_id, a.dimension_id): a.choice for a in answers.filter(question=w.matrix)}
    assert stored == {
        (subject.pk, dimension.pk): choice_for(s, d)[0]
        for s, subject in enumerate(w.subjects)
        for d, dimension in enumerate(w.dimensions)
    }
    assert answers.get(question=w.text_question).text == OPINION
    assert Invitation.objects.get(pk=w.invitation.pk).used
    assert Invitation.objects.filter(questionnaire=w.questionnaire, used=False).count() == 2

    # --- The same slip again: the used page, nothing more stored ---------------------------
    page.goto(base + reverse("surveys:respond_with_code", args=[w.code]))
    page.get_by_role("heading", name="此邀请码已使用").wait_for()
    expect(page.locator("form[data-survey-form]")).to_have_count(0)
    expect(page.get_by_role("link", name="输入其他邀请码")).to_be_visible()
    assert fits(page, PHONE)
    shot("08-used")
    # Typed in on the code page it leads to the same page.
    page.get_by_role("link", name="输入其他邀请码").tap()
    page.get_by_label("邀请码").fill(w.code)
    page.get_by_role("button", name="开始填写").tap()
    page.get_by_role("heading", name="此邀请码已使用").wait_for()
    assert Response.objects.filter(questionnaire=w.questionnaire).count() == 1

    assert watch.errors == []
    assert watch.foreign == []


# --- 2. An official uploads a 述职报告 --------------------------------------------------------


@pytest.fixture
def duty_world(office_clerk, official_a, group_member):
    review = set_phase(
        ReviewFactory(created_by=office_clerk, title="2025 年度述职评议"), Phase.INVESTIGATE
    )
    group = WorkingGroupFactory(review=review, name="第一评议工作组", members=[group_member])
    subjects = enrol(review, group=group, users=[official_a])
    due_at = timezone.localtime() + timedelta(days=10)
    duty_reports.set_deadline(actor=office_clerk, review=review, due_at=due_at)
    return SimpleNamespace(review=review, subject=subjects[0], due_at=due_at)


def test_official_uploads_a_duty_report(
    open_page, live_server, duty_world, official_a, artifacts, tmp_path
):
    w = duty_world
    base = live_server.url
    page, watch = open_page(DESKTOP)

    def shot(name):
        screenshot(artifacts, page, f"duty-{name}")

    log_in(page, base, official_a.username)
    page.locator("h1", has_text="我的评议").wait_for()
    page.locator("a.review-card", has_text=w.review.title).click()
    page.wait_for_url(f"**{reverse('reviews:official_subject', args=[w.subject.pk])}")
    panel = page.locator("#duty-report")
    expect(panel.get_by_role("heading", name="述职报告")).to_be_visible()
    expect(panel.locator(".card-header .badge")).to_have_text("未提交")
    expect(panel).to_contain_text(f"{w.due_at:%Y年%-m月%-d日 %H:%M}")
    expect(panel).to_contain_text("还剩")  # a deadline ten days away
    shot("01-before")

    # --- The first version -----------------------------------------------------------------
    first_pdf = make_pdf(tmp_path / "赵建华述职报告.pdf", "赵建华同志述职报告")
    panel.get_by_label("上传述职报告").set_input_files(str(tmp_path / "赵建华述职报告.pdf"))
    panel.get_by_role("button", name="上传", exact=True).click()
    page.locator(".alert-success", has_text="已上传述职报告第 1 版").wait_for()
    panel = page.locator("#duty-report")
    expect(panel.locator(".card-header .badge")).to_have_text("待审核")
    expect(panel.locator(".alert-warning")).to_contain_text("已提交第 1 版，待评议办审核")
    versions = panel.locator(".list-group-item")
    expect(versions).to_have_count(1)
    expect(versions.first).to_contain_text("第 1 版")
    expect(versions.first).to_contain_text("当前")
    expect(versions.first).to_contain_text("赵建华述职报告.pdf")
    shot("02-uploaded")

    report = DutyReport.objects.get(subject=w.subject)
    version = DutyReportVersion.objects.get(report=report)
    assert version.number == 1 and version.uploaded_by == official_a
    assert version.size == len(first_pdf)
    assert report.current == version and report.status == DutyReportStatus.SUBMITTED
    # The official can fetch what was stored, byte for byte.
    download = versions.first.get_by_role("link", name="下载")
    fetched = page.request.get(base + download.get_attribute("href"))
    assert fetched.ok and fetched.body() == first_pdf

    # --- Replaced before the deadline: both versions kept, the new one counts ----------------
    make_pdf(tmp_path / "述职报告（修改稿）.pdf", "赵建华同志述职报告（修改稿）")
    panel.get_by_label("上传新版本（替换当前报告）").set_input_files(
        str(tmp_path / "述职报告（修改稿）.pdf")
    )
    panel.get_by_role("button", name="上传", exact=True).click()
    page.locator(".alert-success", has_text="已上传述职报告第 2 版").wait_for()
    panel = page.locator("#duty-report")
    expect(panel.locator(".alert-warning")).to_contain_text("已提交第 2 版，待评议办审核")
    versions = panel.locator(".list-group-item")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("第 2 版")
    expect(versions.nth(0)).to_contain_text("当前")
    expect(versions.nth(1)).to_contain_text("第 1 版")
    expect(versions.nth(1)).not_to_contain_text("当前")
    assert fits(page, DESKTOP)
    shot("03-replaced")
    assert list(
        DutyReportVersion.objects.filter(report=report).values_list("number", flat=True)
    ) == [2, 1]
    report.refresh_from_db()
    assert report.current.number == 2

    assert watch.errors == []
    assert watch.foreign == []


# --- 3. A working-group member records a 座谈会 and two findings ------------------------------


@pytest.fixture
def group_world(office_clerk, group_member):
    review = set_phase(
        ReviewFactory(created_by=office_clerk, title="2025 年度述职评议"), Phase.INVESTIGATE
    )
    group = WorkingGroupFactory(
        review=review, name="第一评议工作组", leader=group_member, members=[group_member]
    )
    subjects = enrol(review, group=group)
    return SimpleNamespace(review=review, group=group, subjects=subjects)


def subject_label(index: int) -> str:
    name, unit, post = SUBJECTS[index]
    return f"{name}（{unit}{post}）"


def test_group_member_records_a_forum_and_two_findings(
    open_page, live_server, group_world, group_member, artifacts, tmp_path
):
    w = group_world
    base = live_server.url
    page, watch = open_page(DESKTOP)
    held_on = timezone.localdate() - timedelta(days=3)
    year = w.review.year

    def shot(name):
        screenshot(artifacts, page, f"investigation-{name}")

    log_in(page, base, group_member.username)
    page.locator("h1", has_text="我的工作组").wait_for()
    card = page.locator("#investigation")
    expect(card).to_contain_text("调查 / 初评")
    card.get_by_role("link", name="记录调查活动").click()
    page.locator("h1", has_text="记录调查活动").wait_for()

    # --- The 座谈会 ----------------------------------------------------------------------------
    page.get_by_label("活动类型").select_option(label="座谈会")
    page.get_by_label("日期", exact=True).fill(held_on.isoformat())
    page.get_by_label("地点").fill("县人大常委会三楼会议室")
    page.get_by_label(subject_label(0)).check()
    page.get_by_label(subject_label(1)).check()
    page.get_by_label("参加人员").fill("县人大代表 12 人、服务对象代表 6 人")
    page.get_by_label("情况记录").fill(
        "代表反映不动产登记窗口排队时间长，部分审批事项超过承诺时限。\n"
        "服务对象反映市场监管执法尺度不一。"
    )
    make_pdf(tmp_path / "座谈会记录.pdf", "座谈会记录")
    page.get_by_label("附件").set_input_files(str(tmp_path / "座谈会记录.pdf"))
    assert fits(page, DESKTOP)
    shot("01-activity-form")
    page.get_by_role("button", name="保存").click()
    page.locator(".alert-success", has_text="已记录座谈会").wait_for()
    page.locator("h1", has_text="座谈会").wait_for()
    expect(page.locator("h1")).to_contain_text(held_on.isoformat())
    expect(page.locator("#attachments")).to_contain_text("座谈会记录.pdf")
    shot("02-activity")

    activity = Activity.objects.get(review=w.review)
    assert activity.kind == "forum" and activity.held_on == held_on
    assert activity.group == w.group and activity.created_by == group_member
    assert set(activity.subjects.all()) == set(w.subjects[:2])
    assert activity.attachments.count() == 1

    # --- Two findings about 赵建华, from that forum -------------------------------------------
    page.get_by_role("link", name=SUBJECTS[0][0]).first.click()
    page.locator("h1", has_text=SUBJECTS[0][0]).wait_for()
    expect(page.locator("#findings")).to_contain_text("还没有记录问题")
    page.get_by_role("link", name="新增问题").click()
    page.locator("h1", has_text="新增问题").wait_for()

    findings = [
        ("履职尽责", "较重", "不动产登记窗口排队时间长，部分审批事项超过承诺时限。"),
        ("作风建设", "一般", "窗口工作人员服务态度有待改进，群众多次反映。"),
    ]
    forum_label = f"座谈会 {held_on.isoformat()} 县人大常委会三楼会议室"
    for number, (category, severity, description) in enumerate(findings, 1):
        page.get_by_label("问题类别").select_option(label=category)
        page.get_by_label("严重程度").select_option(label=severity)
        page.get_by_label("问题描述").fill(description)
        page.get_by_label("问题来源", exact=True).select_option(label="座谈会")
        page.get_by_label("来源活动").select_option(label=forum_label)
        page.get_by_label("来源说明").fill("服务对象座谈会上 3 人反映")
        if number == 1:
            shot("03-finding-form")
            page.get_by_role("button", name="保存并继续新增").click()
            page.locator(".alert-success", has_text=f"问题-{year}-001").wait_for()
            page.locator("h1", has_text="新增问题").wait_for()
            expect(page.get_by_label("问题描述")).to_have_value("")  # a fresh form
        else:
            page.get_by_role("button", name="保存", exact=True).click()
            page.locator(".alert-success", has_text=f"问题-{year}-002").wait_for()

    # Back on the subject's page: both findings, in order, with their codes.
    page.locator("h1", has_text=SUBJECTS[0][0]).wait_for()
    listed = page.locator("#findings .list-group-item")
    expect(listed).to_have_count(2)
    for row, (category, severity, description), code in zip(
        listed.all(), findings, (f"问题-{year}-001", f"问题-{year}-002"), strict=True
    ):
        expect(row).to_contain_text(code)
        expect(row).to_contain_text(category)
        expect(row).to_contain_text(severity)
        expect(row).to_contain_text(description)
        expect(row).to_contain_text("座谈会")
    shot("04-subject-findings")

    # The whole 问题清单 of the review.
    page.locator(".breadcrumb").get_by_role("link", name="问题清单").click()
    page.locator("h1", has_text="问题清单").wait_for()
    rows = page.locator(".finding-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"问题-{year}-001")
    expect(rows.nth(1)).to_contain_text(f"问题-{year}-002")
    expect(rows.nth(0)).to_contain_text(SUBJECTS[0][0])
    assert fits(page, DESKTOP)
    shot("05-finding-list")

    stored = list(Finding.objects.filter(review=w.review).order_by("number"))
    assert [f.number for f in stored] == [1, 2]
    assert [f.code for f in stored] == [f"问题-{year}-001", f"问题-{year}-002"]
    assert all(f.subject == w.subjects[0] and f.activity == activity for f in stored)
    assert [f.category for f in stored] == ["duty", "conduct"]
    assert [f.severity for f in stored] == ["serious", "minor"]
    assert all(f.source == "forum" and f.status == "active" for f in stored)

    # The activity's page lists what came out of it.
    page.goto(base + reverse("surveys:activity", args=[activity.pk]))
    expect(page.locator("section", has_text="来源于本次活动的问题")).to_contain_text(
        f"问题-{year}-002"
    )

    # The same list on a phone.
    phone, phone_watch = open_page(PHONE)
    log_in(phone, base, group_member.username)
    phone.goto(base + reverse("surveys:finding_list", args=[w.review.pk]))
    expect(phone.locator(".finding-table tbody tr")).to_have_count(2)
    assert fits(phone, PHONE)
    screenshot(artifacts, phone, "investigation-06-finding-list-phone")

    for each in (watch, phone_watch):
        assert each.errors == []
        assert each.foreign == []
