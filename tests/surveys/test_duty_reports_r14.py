"""R14 through the 述职报告 upload view: the content decides, not the name; a refusal shows a
clear Chinese reason on the official's page and stores nothing (no row, no file)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reviews.models import Review
from reviews.workflow import Phase
from subjects.files import in_memory
from subjects.models import AuditEvent
from surveys.models import DutyReport, DutyReportVersion
from tests.factories import OfficialFactory, ReviewFactory, SubjectFactory
from tests.subjects.test_files import docm, pypdf_pdf, real_docx, real_pdf, zip_bomb_by_size

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def subject(office_clerk, official_a):
    review = ReviewFactory(created_by=office_clerk)
    Review.objects.filter(pk=review.pk).update(phase=Phase.INVESTIGATE)
    return SubjectFactory(review=review, official=OfficialFactory(name="赵建华", user=official_a))


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "private" / "surveys"
    return sorted(root.rglob("*")) if root.exists() else []


def post(client, subject, data: bytes, name: str):
    return client.post(
        reverse("surveys:duty_upload", args=[subject.pk]), {"file": in_memory(data, name)}
    )


@pytest.mark.parametrize(
    ("label", "maker", "name", "message"),
    [
        ("exe renamed .pdf", lambda: EXE, "述职报告.pdf", "只能上传 PDF、Word（.docx） 文件"),
        ("docm (macro)", docm, "述职报告.docm", "文档包含宏"),
        ("docm renamed .docx", docm, "述职报告.docx", "文档包含宏"),
        ("zip bomb", zip_bomb_by_size, "述职报告.docx", "文档解压后体积异常"),
        ("html renamed .pdf", lambda: HTML, "述职报告.pdf", "该文件的内容不是这些格式"),
        ("fake pdf header", lambda: b"%PDF-1.7\n" + HTML, "述职报告.pdf", "PDF 文件已损坏"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client, subject, official_a, label, maker, name, message
):
    before = stored_files()
    client.force_login(official_a)
    response = post(client, subject, maker(), name)
    assert response.status_code == 200, label
    text = response.content.decode()
    assert message in text, label
    # The refusal sits in the panel of the official's page, with the upload form again.
    assert 'id="duty-report"' in text and 'name="file"' in text
    assert not DutyReportVersion.objects.exists()
    assert not DutyReport.objects.exists()
    assert stored_files() == before
    assert AuditEvent.objects.filter(action="upload.refused", actor=official_a).count() == 1


@pytest.mark.parametrize(
    ("maker", "name", "kind"),
    [
        (real_pdf, "述职报告（WeasyPrint）.pdf", "pdf"),
        (pypdf_pdf, "述职报告.pdf", "pdf"),
        (real_docx, "述职报告.docx", "docx"),
        # The name decides nothing: a real DOCX called .pdf is stored as the DOCX it is.
        (real_docx, "述职报告.pdf", "docx"),
    ],
)
def test_real_documents_are_accepted(client, subject, official_a, maker, name, kind):
    data = maker()
    client.force_login(official_a)
    response = post(client, subject, data, name)
    assert response.status_code == 302
    version = DutyReportVersion.objects.get(report__subject=subject)
    assert version.file.name.endswith(f".{kind}")
    assert version.name.endswith(f".{kind}")
    assert version.size == len(data)
    with version.file.open("rb") as stored:
        assert stored.read() == data
    download = client.get(reverse("surveys:duty_download", args=[version.pk]))
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")


def test_oversized_file_is_refused(client, subject, official_a, settings):
    settings.PINGYI_MAX_UPLOAD_MB = 1
    client.force_login(official_a)
    response = post(client, subject, pypdf_pdf() + b"\x00" * (1024 * 1024 + 1), "大.pdf")
    assert "文件超过 1 MB" in response.content.decode()
    assert not DutyReportVersion.objects.exists()
