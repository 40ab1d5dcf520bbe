"""The prefilled drafts of a review's other documents (rectification/drafts.py): 测评结果通报,
评议工作情况报告 to the party committee, 整改通知 and 继续整改通知."""

import subprocess
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectification import documents, drafts
from rectification.models import Document, DocumentKind, RenderStatus
from reviews import meetings
from reviews.models import Choice, Subject
from subjects.roles import Role
from surveys.models import Activity, Finding, FindingCategory, FindingSource
from tests.factories import ReviewFactory, SubjectFactory, UserFactory, WorkingGroupFactory
from tests.rectification.world import build_opinion_world
from tests.reviews.test_secret_ballot import build, vote

S, B, D, U = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED, Choice.UNKNOWN
GOVERNMENT = "县人民政府，县监察委员会，县人民法院，县人民检察院"


@pytest.fixture
def world(office_clerk, official_a):
    return build_opinion_world(office_clerk, official_a)


def kinds(body):
    return [block["kind"] for block in body]


def texts(body):
    return "\n".join(block.get("text", "") for block in body)


def table_of(body):
    (table,) = [block for block in body if block["kind"] == "table"]
    return table


def round_trips(body):
    """The office edits a body as plain text: headings must come back as headings."""
    tables = [block for block in body if block["kind"] == "table"]
    return documents.blocks_from_text(documents.text_from_blocks(body), tables=tables) == body


def graded_world(office):
    """Six members vote: subjects[0] 满意, [1] 不满意 (4 of 6), [2] 基本满意 (4 S+B of 6);
    the poll is published, so the grades are written on the subjects."""
    s = build(office, present=6)
    for member, choices in zip(
        s.members[:6],
        [(S, D, S), (S, D, S), (S, D, B), (S, D, B), (B, S, D), (S, S, D)],
        strict=True,
    ):
        vote(s.poll, member, *choices)
    meetings.close_poll(actor=office, poll=s.poll)
    poll = meetings.publish_poll(actor=office, poll=s.poll)
    return s, poll


# --- 测评结果通报 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_result_notice_needs_a_closed_poll(office_clerk):
    s = build(office_clerk, open_poll=True)  # voting still open
    with pytest.raises(ValidationError, match="尚未完成满意度测评"):
        drafts.initial(s.review, DocumentKind.RESULT_NOTICE)
    review = ReviewFactory(created_by=office_clerk)  # no meeting at all
    with pytest.raises(ValidationError, match="暂不能起草测评结果通报"):
        drafts.initial(review, DocumentKind.RESULT_NOTICE)


@pytest.mark.django_db
def test_result_notice_tabulates_the_poll_and_names_who_must_explain(office_clerk):
    s, poll = graded_world(office_clerk)
    fields = drafts.initial(s.review, DocumentKind.RESULT_NOTICE)
    assert set(fields) == {"title", "recipients", "cc", "body"}
    assert fields["title"] == "关于2025年度述职评议\n满意度测评结果的通报"
    assert fields["recipients"] == GOVERNMENT
    assert "中共示范县委" in fields["cc"]
    body = fields["body"]
    assert kinds(body)[:2] == ["paragraph", "table"] and body[-1]["text"] == "特此通报。"
    opening = body[0]["text"]
    assert "第二十三次会议" in opening and f"{poll.meeting.starts_at.year}年" in opening
    assert "3名被任命人员" in opening and "现场述职2名、书面述职1名" in opening
    assert "应参加测评6人，实际参加6人" in opening
    assert "满意率达到80%" in opening and "不满意票超过50%" in opening

    table = table_of(body)
    assert table["header"] == [
        "序号",
        "评议对象",
        "单位及职务",
        "满意",
        "基本满意",
        "不满意",
        "满意率",
        "测评等次",
    ]
    first, second, third = s.subjects
    assert [row[:3] for row in table["rows"]] == [
        [str(n), x.display_name, f"{x.unit_name}{x.post}"] for n, x in enumerate(s.subjects, 1)
    ]
    assert [row[3:] for row in table["rows"]] == [
        ["5", "1", "0", "100.0%", "满意"],
        ["2", "0", "4", "33.3%", "不满意"],
        ["2", "2", "2", "66.7%", "基本满意"],
    ]
    text = texts(body)
    assert "评为“满意”的1名，评为“基本满意”的1名，评为“不满意”的1名" in text
    must_explain = next(b["text"] for b in body if "向主任会议作出说明" in b.get("text", ""))
    assert f"{second.display_name}同志" in must_explain
    assert first.display_name not in must_explain and third.display_name not in must_explain
    assert "1个月内" in text and "3个月内" in text
    assert round_trips(body)


@pytest.mark.django_db
def test_result_notice_counts_unknown_only_when_the_rules_allow_it(office_clerk):
    s = build(office_clerk, present=6, allow_unknown=True)
    for member in s.members[:6]:
        vote(s.poll, member, S, U, S)
    meetings.close_poll(actor=office_clerk, poll=s.poll)
    table = table_of(drafts.initial(s.review, DocumentKind.RESULT_NOTICE)["body"])
    assert table["header"][3:7] == ["满意", "基本满意", "不满意", "不了解"]
    assert table["rows"][1][3:7] == ["0", "0", "0", "6"]


@pytest.mark.django_db
def test_a_subject_flagged_to_explain_is_named_even_without_a_dissatisfied_poll_grade(world):
    # The grade recorded on the subject (and the explanation owed) wins over the poll's.
    Subject.objects.filter(pk=world.subjects[2].pk).update(explanation_due=True)
    body = drafts.initial(world.review, DocumentKind.RESULT_NOTICE)["body"]
    must_explain = next(b["text"] for b in body if "向主任会议作出说明" in b.get("text", ""))
    assert world.subjects[2].display_name in must_explain


@pytest.mark.django_db
def test_names_follow_the_organ(world, settings):
    settings.PINGYI_ORGAN_NAME = "长乐区人大常委会"
    notice = drafts.initial(world.review, DocumentKind.RESULT_NOTICE)
    assert notice["recipients"] == "区人民政府，区监察委员会，区人民法院，区人民检察院"
    assert "区人大常委会" in notice["body"][0]["text"]
    assert drafts.initial(world.review, DocumentKind.PARTY_REPORT)["recipients"] == "中共长乐区委"


# --- 评议工作情况报告 ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_party_report_has_the_four_sections_from_the_records(world, office_clerk):
    group = WorkingGroupFactory(review=world.review, name="第一评议工作组")
    for kind in ("forum", "forum", "inspection"):
        Activity.objects.create(
            review=world.review,
            group=group,
            kind=kind,
            held_on=date(2025, 6, 16),
            notes="座谈记录",
            created_by=office_clerk,
        )
    fields = drafts.initial(world.review, DocumentKind.PARTY_REPORT)
    assert fields["title"] == "关于2025年度述职评议工作情况的报告"
    assert fields["recipients"] == "中共示范县委"
    body = fields["body"]
    headings = [b["text"] for b in body if b["kind"] == "heading"]
    assert headings == ["一、基本情况", "二、测评结果", "三、主要问题", "四、下一步工作"]
    assert body[-1]["text"] == "特此报告。"
    text = texts(body)
    assert "评议对象3名，其中现场述职2名、书面述职1名" in text
    assert "组建1个评议工作组" in text
    assert "座谈会2次、专题视察1次" in text
    assert "问题清单3条" in text
    assert "询问1次" in text
    assert "依法行政方面2条，办理代表建议方面1条" in text
    assert "1个月内报送整改方案，3个月内书面报告" in text
    # The same table as the result notice, under 二、测评结果.
    table = table_of(body)
    assert kinds(body).index("table") > [b.get("text") for b in body].index("二、测评结果")
    assert table == table_of(drafts.initial(world.review, DocumentKind.RESULT_NOTICE)["body"])
    assert round_trips(body)


@pytest.mark.django_db
def test_party_report_costs_the_same_queries_for_more_subjects(world, office_clerk):
    with CaptureQueriesContext(connection) as few:
        drafts.initial(world.review, DocumentKind.PARTY_REPORT)
    for n in range(6):
        subject = SubjectFactory(review=world.review, form="written")
        Finding.objects.create(
            review=world.review,
            subject=subject,
            number=10 + n,
            category=FindingCategory.CONDUCT,
            description="调研不够深入",
            source=FindingSource.FORUM,
            created_by=office_clerk,
        )
    with CaptureQueriesContext(connection) as many:
        fields = drafts.initial(world.review, DocumentKind.PARTY_REPORT)
    assert "作风建设方面6条" in texts(fields["body"])
    assert len(many) == len(few)


@pytest.mark.django_db
def test_party_report_without_a_poll_says_so(office_clerk):
    review = ReviewFactory(created_by=office_clerk)
    SubjectFactory(review=review, form="onsite")
    body = drafts.initial(review, DocumentKind.PARTY_REPORT)["body"]
    assert "测评结果另行报告" in texts(body)
    assert "table" not in kinds(body)


# --- 整改通知 / 继续整改通知 ---------------------------------------------------------------------


def issued_opinion(world, office_clerk, subject):
    """The subject's issued 评议意见 as issuing leaves it (numbered, signed)."""
    return Document.objects.create(
        review=world.review,
        kind=DocumentKind.OPINION,
        subject=subject,
        organ=documents.default_organ(),
        title="关于对县第一局局长王堃喆同志\n履职情况的评议意见",
        body=[{"kind": "paragraph", "text": "评议意见。"}],
        status="issued",
        year=2025,
        number=12,
        signed_on=date(2025, 9, 26),
        created_by=office_clerk,
    )


@pytest.mark.django_db
def test_rectification_notice_counts_the_deadlines_from_the_receipt(world, office_clerk):
    subject = world.subjects[0]
    document = issued_opinion(world, office_clerk, subject)
    Document.objects.filter(pk=document.pk).update(received_on=date(2025, 11, 30))
    fields = drafts.initial(world.review, DocumentKind.RECTIFICATION_NOTICE, subject=subject)
    assert fields["recipients"] == f"{subject.unit_name}局长王堃喆同志"
    assert fields["title"] == "关于王堃喆同志\n落实评议意见整改工作的通知"
    assert fields["cc"] == subject.unit_name  # the official's own unit
    text = texts(fields["body"])
    assert "〔2025〕12号" in text and document.reference in text
    assert "2025年9月26日印发了《关于对县第一局局长王堃喆同志履职情况的评议意见》" in text
    assert "已于2025年11月30日签收" in text
    assert "1个月内（即2025年12月30日前）" in text
    assert "3个月内（即2026年2月28日前）" in text  # no 30 February: the month's last day
    assert fields["body"][-1]["text"] == "特此通知。"
    assert round_trips(fields["body"])


@pytest.mark.django_db
def test_rectification_notice_before_receipt_gives_periods_without_dates(world):
    fields = drafts.initial(
        world.review, DocumentKind.RECTIFICATION_NOTICE, subject=world.subjects[1]
    )
    text = texts(fields["body"])
    assert "1个月内，将整改方案" in text and "（即" not in text


@pytest.mark.django_db
def test_notices_need_a_subject_of_the_review(world, office_clerk):
    for kind in (DocumentKind.RECTIFICATION_NOTICE, DocumentKind.CONTINUE_NOTICE):
        with pytest.raises(ValidationError, match="请选择本次评议的评议对象"):
            drafts.initial(world.review, kind)
        stranger = SubjectFactory(review=ReviewFactory(created_by=office_clerk))
        with pytest.raises(ValidationError):
            drafts.initial(world.review, kind, subject=stranger)


@pytest.mark.django_db
def test_continue_notice(world):
    subject = world.subjects[1]
    fields = drafts.initial(world.review, DocumentKind.CONTINUE_NOTICE, subject=subject)
    assert fields["title"] == f"关于{subject.display_name}同志\n继续落实评议意见整改工作的通知"
    text = texts(fields["body"])
    assert "不满意票超过常委会组成人员的半数" in text and "主任会议研究" in text
    assert "继续整改方案报送县人大常委会" in text and "3个月内" in text
    assert round_trips(fields["body"])


@pytest.mark.django_db
def test_opinions_are_not_drafted_here(world):
    with pytest.raises(ValidationError, match="评议意见页面"):
        drafts.initial(world.review, DocumentKind.OPINION)


# --- from draft to PDF ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_result_notice_draft_is_issued_and_rendered_with_its_table(office_clerk):
    s, _ = graded_world(office_clerk)
    office2 = UserFactory(username="office2", roles=[Role.OFFICE])
    draft = drafts.create_draft(actor=office2, review=s.review, kind=DocumentKind.RESULT_NOTICE)
    assert draft.status == "draft" and draft.subject is None and draft.body[1]["kind"] == "table"
    document = documents.issue_document(actor=office_clerk, document=draft)
    assert documents.render_document(document.pk) is True
    document.refresh_from_db()
    assert document.render_status == RenderStatus.DONE
    data = document.pdf.open("rb").read()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    squeezed = "".join(text.split())
    assert "满意度测评结果的通报" in squeezed and document.reference in squeezed
    assert "测评等次" in squeezed and s.subjects[1].display_name in squeezed
    assert "特此通报。" in squeezed
