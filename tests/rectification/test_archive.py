"""归档: blockers, the zip (names, manifest hashes), the review archived once however often the
job runs, and who may archive and download."""

import hashlib
import importlib.util
import io
import sys
import types
import zipfile
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from rectification import archive, documents, opinions
from rectification.models import (
    CaseStatus,
    Evidence,
    ItemProgress,
    RectificationCase,
    RenderStatus,
    ReviewArchive,
)
from reviews import meetings, services
from reviews.workflow import Phase
from subjects.models import AuditEvent, Job, JobStatus
from tests.rectification.world import build_opinion_world

HAS_LEDGER = importlib.util.find_spec("rectification.ledger") is not None
LEDGER_STUB = b"PK-stub-ledger"


@pytest.fixture(autouse=True)
def ledger(monkeypatch):
    """rectification.ledger is written by another helper in parallel: while it is missing a
    stub stands in, and the test of the ledger's content is skipped."""
    if not HAS_LEDGER:
        stub = types.ModuleType("rectification.ledger")
        stub.ledger_workbook = lambda review: LEDGER_STUB
        monkeypatch.setitem(sys.modules, "rectification.ledger", stub)


FAKE_PDF = b"%PDF-1.4\n% a stand-in for the rendered document\n%%EOF\n"


def fake_render(document):
    """Rendering real PDFs takes seconds; the archive only copies the stored bytes."""
    document.pdf.save(f"{document.pk}.pdf", ContentFile(FAKE_PDF), save=False)
    document.render_status = RenderStatus.DONE
    document.pdf_size = len(FAKE_PDF)
    document.save(update_fields=["pdf", "render_status", "pdf_size"])


@dataclass
class ArchiveWorld:
    review: object
    case: object
    document: object
    poll: object


def build_archive_world(office, chair, official) -> ArchiveWorld:
    """A review in 整改: the poll published, one opinion issued (rendered) and received, its
    case with a plan file, a report file and one evidence file."""
    world = build_opinion_world(office, official)
    poll = meetings.publish_poll(actor=office, poll=world.poll)
    opinion = opinions.open_opinion(actor=office, subject=world.subjects[0])
    opinions.submit(actor=office, opinion=opinion)
    opinions.approve(
        actor=chair, opinion=opinion, session="第三十二次主任会议", on=timezone.localdate()
    )
    document = opinions.issue_opinion(actor=office, opinion=opinion)
    fake_render(document)
    documents.acknowledge(actor=official, document=document)
    review = services.advance_phase(actor=office, review=world.review)
    assert review.phase == Phase.RECTIFY
    case = RectificationCase.objects.get(subject=world.subjects[0])
    case.plan.file.save("plan.pdf", ContentFile(b"%PDF-plan"), save=True)
    report = case.rounds.get(number=1).report
    report.file.save("report.pdf", ContentFile(b"%PDF-report"), save=True)
    progress = ItemProgress.objects.filter(report=report).order_by("item__order").first()
    Evidence.objects.create(
        progress=progress,
        file=ContentFile(b"\x89PNG evidence", name="photo.png"),
        name="整改现场.png",
        size=13,
        uploaded_by=official,
    )
    return ArchiveWorld(review, case, document, poll)


def close(case):
    RectificationCase.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)


@pytest.fixture
def world(office_clerk, chair, official_a):
    return build_archive_world(office_clerk, chair, official_a)


def run_archive(office, review) -> Job:
    job = archive.start(actor=office, review=review)
    archive.run(job.pk)  # the Celery task's body (tests send no task: on_commit never fires)
    job.refresh_from_db()
    return job


def read_zip(review) -> zipfile.ZipFile:
    stored = ReviewArchive.objects.get(review=review)
    with stored.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


@pytest.mark.django_db
def test_blockers_name_what_is_missing(world, office_clerk):
    reasons = archive.blockers(world.review)
    assert reasons == ["有 1 个整改事项尚未办结：王堃喆"]
    with pytest.raises(ValidationError) as refused:
        archive.start(actor=office_clerk, review=world.review)
    assert "整改事项尚未办结" in refused.value.messages[0]
    assert not Job.objects.exists()
    # The generic phase move is blocked as well (reviews.workflow sees the open cases).
    with pytest.raises(ValidationError) as moved:
        services.advance_phase(actor=office_clerk, review=world.review)
    assert moved.value.messages == ["有 1 个整改事项尚未办结"]

    close(world.case)
    world.document.render_status = RenderStatus.FAILED
    world.document.save(update_fields=["render_status"])
    opinion = opinions.open_opinion(actor=office_clerk, subject=world.review.subjects.all()[1])
    reasons = archive.blockers(world.review)
    assert len(reasons) == 2
    assert (
        reasons[0].startswith("有 1 份评议意见尚未印发")
        and opinion.subject.display_name in reasons[0]
    )
    assert reasons[1].startswith("有 1 份公文的PDF尚未生成")


@pytest.mark.django_db
def test_issued_opinion_never_received_blocks(world, office_clerk, chair):
    close(world.case)
    subject = world.review.subjects.order_by("order")[1]
    opinion = opinions.open_opinion(actor=office_clerk, subject=subject)
    opinions.submit(actor=office_clerk, opinion=opinion)
    opinions.approve(
        actor=chair, opinion=opinion, session="第三十三次主任会议", on=timezone.localdate()
    )
    fake_render(opinions.issue_opinion(actor=office_clerk, opinion=opinion))
    reasons = archive.blockers(world.review)
    assert len(reasons) == 1 and "尚未签收或登记送达" in reasons[0]
    assert subject.display_name in reasons[0]


@pytest.mark.django_db
def test_before_rectification_nothing_can_be_archived(office_clerk):
    world = build_opinion_world(office_clerk)
    assert archive.blockers(world.review) == [
        "评议活动处于“评议会议”阶段，进入“整改”阶段后才能归档。"
    ]


@pytest.mark.django_db
def test_archive_zip_has_every_file_and_a_true_manifest(world, office_clerk):
    close(world.case)
    job = run_archive(office_clerk, world.review)
    assert job.status == JobStatus.DONE and job.done == job.total > 0
    world.review.refresh_from_db()
    assert world.review.phase == Phase.ARCHIVED
    stored = ReviewArchive.objects.get(review=world.review)
    assert stored.file.name.startswith("private/") and stored.size == stored.file.size
    assert stored.created_by == office_clerk

    zf = read_zip(world.review)
    names = zf.namelist()
    subject = world.case.subject.display_name
    expected = {
        f"文件/{world.document.reference} {world.document.title.replace(chr(10), '')}.pdf",
        "整改台账.xlsx",
        f"整改材料/{subject}/整改方案.pdf",
        f"整改材料/{subject}/第1轮整改落实情况报告.pdf",
        f"整改材料/{subject}/佐证材料/第1轮 第1项 整改现场.png",
        "审计日志.xlsx",
        "清单.txt",
    }
    assert expected <= set(names)
    results = [n for n in names if n.startswith("测评结果/")]
    assert len(results) == 1 and results[0].endswith("结果统计表.xlsx")
    assert (
        zf.read(f"文件/{world.document.reference} {world.document.title.replace(chr(10), '')}.pdf")
        == FAKE_PDF
    )

    manifest = zf.read("清单.txt").decode()
    rows = [line.split("\t") for line in manifest.splitlines() if line.count("\t") == 2][1:]
    listed = {name: (int(size), sha) for size, sha, name in rows}
    assert set(listed) == set(names) - {"清单.txt"}
    for name, (size, sha) in listed.items():
        data = zf.read(name)
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, name

    from openpyxl import load_workbook

    log = load_workbook(io.BytesIO(zf.read("审计日志.xlsx"))).active
    rows = list(log.iter_rows(values_only=True))
    assert rows[0][0] == "时间"
    codes = [row[3] for row in rows[1:]]
    assert codes[0] == "review.created" and "case.opened" in codes
    assert rows[1][0] <= rows[-1][0]  # oldest first
    events = AuditEvent.objects.filter(review_id=world.review.pk, action="archive.created")
    assert events.count() == 1


@pytest.mark.skipif(not HAS_LEDGER, reason="rectification.ledger (helper H2) not written yet")
@pytest.mark.django_db
def test_archive_holds_the_real_ledger(world, office_clerk):
    from openpyxl import load_workbook

    close(world.case)
    run_archive(office_clerk, world.review)
    data = read_zip(world.review).read("整改台账.xlsx")
    book = load_workbook(io.BytesIO(data))
    assert "整改台账" in book.sheetnames
    cells = [c for row in book["整改台账"].iter_rows(values_only=True) for c in row if c]
    assert any(world.case.subject.display_name in str(c) for c in cells)


@pytest.mark.django_db
def test_a_rerun_keeps_one_archive_and_no_half_zip(world, office_clerk, monkeypatch):
    close(world.case)
    job = archive.start(actor=office_clerk, review=world.review)
    # A second click while the job waits returns the same job.
    assert archive.start(actor=office_clerk, review=world.review).pk == job.pk

    # The worker dies while storing: nothing visible, the review still in 整改.
    def boom(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(archive.ReviewArchive.objects, "create", boom)
    before = set(_stored_names())
    archive.run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "归档失败" in job.error
    world.review.refresh_from_db()
    assert world.review.phase == Phase.RECTIFY and not ReviewArchive.objects.exists()
    assert set(_stored_names()) == before  # the stored zip was removed again
    monkeypatch.undo()

    # A redelivered task of a job left running, then a late duplicate: one archive.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    archive.run(job.pk)
    first = ReviewArchive.objects.get(review=world.review)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    archive.run(job.pk)
    assert ReviewArchive.objects.get(review=world.review).file.name == first.file.name
    assert AuditEvent.objects.filter(action="archive.created").count() == 1
    assert set(_stored_names()) - before == {first.file.name.rsplit("/", 1)[-1]}
    with pytest.raises(ValidationError) as refused:
        archive.start(actor=office_clerk, review=world.review)
    assert refused.value.messages == ["评议活动已归档。"]


def _stored_names():
    from django.core.files.storage import default_storage

    try:
        return default_storage.listdir("private/rectification")[1]
    except FileNotFoundError:
        return []


# --- pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_archive_page_shows_blockers_then_the_button(client, world, office_clerk):
    url = reverse("rectification:archive", args=[world.review.pk])
    client.force_login(office_clerk)
    page = client.get(url).content.decode()
    assert "暂不能归档" in page and "整改事项尚未办结" in page and 'name="confirm"' not in page
    # A POST despite the blockers shows them as a message.
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert "整改事项尚未办结" in response.content.decode() and not Job.objects.exists()

    close(world.case)
    assert 'name="confirm"' in client.get(url).content.decode()
    response = client.post(url, {}, follow=True)
    assert "请勾选确认" in response.content.decode() and not Job.objects.exists()
    response = client.post(url, {"confirm": "on"}, follow=True)
    page = response.content.decode()
    assert "已开始归档" in page and "hx-get" in page
    job = Job.objects.get(kind=archive.BUILD_ARCHIVE)
    archive.run(job.pk)
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "下载归档文件" in partial and "hx-get" not in partial


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["office_clerk", "chair"])
def test_office_and_council_download(client, world, office_clerk, who, request):
    close(world.case)
    run_archive(office_clerk, world.review)
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("rectification:archive_download", args=[world.review.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert AuditEvent.objects.filter(action="archive.downloaded", actor=user).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["official_a", "committee_member", "deputy", "group_member"])
def test_others_may_not_archive_or_download(client, world, office_clerk, who, request):
    close(world.case)
    run_archive(office_clerk, world.review)
    client.force_login(request.getfixturevalue(who))
    for name in ("archive", "archive_download"):
        response = client.get(reverse(f"rectification:{name}", args=[world.review.pk]))
        assert response.status_code in (403, 404), name
    response = client.post(
        reverse("rectification:archive", args=[world.review.pk]), {"confirm": "on"}
    )
    assert response.status_code in (403, 404)


@pytest.mark.django_db
def test_chair_may_not_archive(client, world, chair):
    close(world.case)
    client.force_login(chair)
    url = reverse("rectification:archive", args=[world.review.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_download_before_archiving_is_404(client, world, office_clerk):
    client.force_login(office_clerk)
    url = reverse("rectification:archive_download", args=[world.review.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_archive_card_for_office_and_council(rf, world, office_clerk, chair, committee_member):
    from django.template import Context, Template

    template = Template("{% load archive_tags %}{% archive_card review %}")

    def card(user):
        request = rf.get("/")
        request.user = user
        return template.render(Context({"request": request, "review": world.review}))

    assert "暂不能归档" in card(office_clerk)
    assert card(chair).strip() == "" and card(committee_member).strip() == ""
    close(world.case)
    run_archive(office_clerk, world.review)
    world.review.refresh_from_db()
    assert "下载" in card(chair) and "下载" in card(office_clerk)
    assert card(committee_member).strip() == ""
