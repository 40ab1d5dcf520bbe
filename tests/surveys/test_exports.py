"""Excel exports: the raw answers (one row per response, no identity) and the summary; the
export task run as a background job."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from subjects.models import Job, JobStatus
from surveys.export_tasks import EXPORT_RAW, export_raw
from surveys.exports import raw_workbook, summary_workbook
from surveys.models import Answer, Channel, Response, Section
from tests.factories import QuestionFactory, QuestionnaireFactory, ReviewFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire(db):
    review = ReviewFactory()
    subjects = SubjectFactory.create_batch(2, review=review)
    dims = list(review.dimensions.all()[:2])
    questionnaire = QuestionnaireFactory(review=review, title="代表测评")
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    QuestionFactory(
        section=section, kind="matrix", text="评价", subjects=subjects, dimensions=dims, order=1
    )
    QuestionFactory(
        section=section, kind="multiple", text="渠道", options=["网站", "报纸"], order=2
    )
    QuestionFactory(section=section, kind="score", text="打分", order=3)
    QuestionFactory(section=section, kind="text", text="意见", required=False, order=4)
    return questionnaire


def _answer(questionnaire, channel, choices, *, multiple=(), score=None, text=""):
    questions = {q.kind: q for q in questionnaire.questions.all()}
    matrix = questions["matrix"]
    response = Response.objects.create(questionnaire=questionnaire, channel=channel)
    rows = []
    cells = [
        (s, d)
        for s in matrix.subjects.order_by("id")
        for d in matrix.dimensions.order_by("order", "id")
    ]
    for (subject, dimension), choice in zip(cells, choices, strict=False):
        rows.append(
            Answer(
                response=response,
                questionnaire=questionnaire,
                question=matrix,
                subject=subject,
                dimension=dimension,
                choice=choice,
            )
        )
    for option in multiple:
        rows.append(
            Answer(
                response=response,
                questionnaire=questionnaire,
                question=questions["multiple"],
                choice=str(option),
            )
        )
    if score is not None:
        rows.append(
            Answer(
                response=response,
                questionnaire=questionnaire,
                question=questions["score"],
                number=score,
            )
        )
    if text:
        rows.append(
            Answer(
                response=response,
                questionnaire=questionnaire,
                question=questions["text"],
                text=text,
            )
        )
    Answer.objects.bulk_create(rows)
    return response


def _sheet(content: bytes, name: str):
    return list(load_workbook(BytesIO(content), read_only=True)[name].values)


def test_raw_export_has_one_row_per_response_and_one_column_per_cell(questionnaire):
    _answer(
        questionnaire,
        Channel.INVITATION,
        ["satisfied", "basic", "dissatisfied", "satisfied"],
        multiple=[0, 1],
        score=88,
        text='=HYPERLINK("http://x")',
    )
    _answer(questionnaire, Channel.PAPER, ["basic"], text="很好")
    Response.objects.create(questionnaire=questionnaire, channel=Channel.OPEN)  # nothing answered
    rows = _sheet(raw_workbook(questionnaire), "原始答卷")
    header = rows[0]
    assert header[:3] == ("序号", "填写方式", "填写日期")
    assert len(header) == 3 + 4 + 1 + 1 + 1  # 2 subjects × 2 dimensions, multiple, score, text
    assert header[3].startswith("评价｜")
    assert len(rows) == 4
    by_channel = {row[1]: row for row in rows[1:]}
    invited = by_channel["邀请码"]
    assert invited[3:7] == ("满意", "基本满意", "不满意", "满意")
    assert invited[7] == "网站；报纸"
    assert invited[8] == 88
    # A respondent's text never becomes a formula.
    assert invited[9] == '=HYPERLINK("http://x")'
    paper = by_channel["纸质问卷"]
    assert paper[3] == "基本满意" and paper[4] is None and paper[9] == "很好"
    assert all(value is None for value in by_channel["公开链接"][3:])
    # No identity columns exist to export.
    assert not any("用户" in h or "邀请码" in h for h in header)


def test_raw_export_reports_progress(questionnaire):
    for _ in range(3):
        _answer(questionnaire, Channel.PAPER, ["satisfied"] * 4)
    calls = []
    raw_workbook(questionnaire, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_summary_workbook_hides_small_groups(questionnaire):
    for _ in range(3):
        _answer(
            questionnaire,
            Channel.INVITATION,
            ["satisfied", "satisfied", "basic", "basic"],
            score=70,
        )
    _answer(questionnaire, Channel.PAPER, ["dissatisfied"] * 4, score=10)
    content = summary_workbook(questionnaire)
    overview = _sheet(content, "答卷概况")
    assert ("邀请码", 3) in overview and ("纸质问卷", 1) in overview
    stats = [tuple(c for c in row if c is not None) for row in _sheet(content, "统计结果")]
    subject_rows = [row for row in stats if len(row) > 2 and row[1] == "总体"]
    assert subject_rows and subject_rows[0][-1] == "75.0%"  # 6 of 8 answers
    assert any(row[1:] == ("纸质问卷", "不足 k 份，不显示") for row in stats)
    assert ("份数", "平均分", "最低分", "最高分") in stats
    assert (4, "55.0", 10, 70) in stats


def test_export_task_stores_the_file_and_marks_the_job_done(questionnaire, office_clerk):
    _answer(questionnaire, Channel.PAPER, ["satisfied"] * 4, text="好")
    job = Job.objects.create(
        kind=EXPORT_RAW,
        label="导出",
        params={"questionnaire": questionnaire.pk},
        created_by=office_clerk,
    )
    export_raw(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.percent == 100
    assert (job.done, job.total) == (1, 1)
    assert job.filename.startswith("代表测评-原始答卷-") and job.filename.endswith(".xlsx")
    rows = _sheet(job.file.read(), "原始答卷")
    assert len(rows) == 2 and rows[1][3] == "满意"
    # Redelivered (acks late): a done job is not run again.
    name = job.file.name
    export_raw(str(job.pk))
    job.refresh_from_db()
    assert job.file.name == name


def test_export_task_marks_a_failure(office_clerk):
    job = Job.objects.create(
        kind=EXPORT_RAW, label="导出", params={"questionnaire": 999999}, created_by=office_clerk
    )
    export_raw(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "DoesNotExist" in job.error


def test_export_view_starts_a_job_after_commit(
    client, office_clerk, questionnaire, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "subjects.jobs.current_app.send_task", lambda name, args: sent.append((name, args))
    )
    client.force_login(office_clerk)
    url = reverse("surveys:questionnaire_export", args=[questionnaire.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"what": "raw"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job", args=[job.pk])
    assert sent == [(EXPORT_RAW, [str(job.pk)])]
    assert job.created_by == office_clerk and job.params == {"questionnaire": questionnaire.pk}


def test_summary_export_downloads_at_once(client, chair, questionnaire):
    client.force_login(chair)
    response = client.post(
        reverse("surveys:questionnaire_export", args=[questionnaire.pk]), {"what": "summary"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "答卷概况" in load_workbook(BytesIO(response.content), read_only=True).sheetnames


def test_council_may_not_export_raw_answers(client, chair, questionnaire):
    client.force_login(chair)
    response = client.post(
        reverse("surveys:questionnaire_export", args=[questionnaire.pk]), {"what": "raw"}
    )
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_prefetching_thread_gives_the_same_rows(requires_postgres, monkeypatch):
    """On PostgreSQL outside a transaction the answers are read by a second thread in chunks;
    the rows must be exactly those read in one thread."""
    from django.db import transaction

    from surveys import exports

    review = ReviewFactory()
    subjects = SubjectFactory.create_batch(2, review=review)
    questionnaire = QuestionnaireFactory(review=review, title="预取")
    section = Section.objects.create(questionnaire=questionnaire, title="一", order=1)
    QuestionFactory(
        section=section,
        kind="matrix",
        text="评价",
        subjects=subjects,
        dimensions=list(review.dimensions.all()[:1]),
        order=1,
    )
    QuestionFactory(section=section, kind="text", text="意见", required=False, order=2)
    for i in range(40):
        if i % 9 == 0:
            Response.objects.create(questionnaire=questionnaire, channel=Channel.OPEN)
        else:
            _answer(questionnaire, Channel.PAPER, ["satisfied", "basic"], text=f"第{i}条")
    monkeypatch.setattr(exports, "CHUNK", 7)
    threaded = list(exports.raw_rows(questionnaire))
    with transaction.atomic():
        single = list(exports.raw_rows(questionnaire))
    assert threaded == single and len(threaded) == 41
    assert [row[3:5] for row in threaded[1:] if row[3]] == [["满意", "基本满意"]] * 35
    assert sorted(row[5] for row in threaded[1:] if row[5]) == sorted(
        f"第{i}条" for i in range(40) if i % 9
    )
