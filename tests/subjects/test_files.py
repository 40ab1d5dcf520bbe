"""R14: uploads are checked by their content, not their name. R22: refusals are logged."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from subjects.files import DOCX, PDF, in_memory, validate_document
from subjects.models import AuditEvent


def real_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>述职报告</p>").write_pdf()


def pypdf_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def real_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("述职报告", level=1)
    document.add_paragraph("本人任现职以来，认真履行职责。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docm() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"'
            ' PartName="/word/document.xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def zip_bomb_by_size() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\x00" * (1 << 20)
            for _ in range(210):
                entry.write(chunk)
    return out.getvalue()


def zip_bomb_by_entries() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for i in range(2001):
            archive.writestr(f"word/media/{i}.bin", b"x")
    return out.getvalue()


@pytest.mark.parametrize(("maker", "kind"), [(real_pdf, PDF), (pypdf_pdf, PDF), (real_docx, DOCX)])
@pytest.mark.django_db
def test_real_documents_are_accepted(maker, kind):
    assert validate_document(in_memory(maker(), "报告.pdf")) == kind


REFUSED = [
    (
        "exe renamed pdf",
        lambda: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,
        "述职报告.pdf",
        "内容不是这些格式",
    ),
    (
        "html renamed pdf",
        lambda: b"<!doctype html><html><body>hi</body></html>",
        "报告.pdf",
        "内容不是这些格式",
    ),
    ("broken pdf", lambda: b"%PDF-1.7\n garbage without objects", "报告.pdf", "PDF"),
    ("docm", docm, "报告.docx", "宏"),
    ("zip bomb (size)", zip_bomb_by_size, "报告.docx", "解压后体积异常"),
    ("zip bomb (entries)", zip_bomb_by_entries, "报告.docx", "条目过多"),
    ("plain zip", lambda: _plain_zip(), "报告.docx", "不是有效的 Word"),
]


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("label", "maker", "name", "message"), REFUSED, ids=[r[0] for r in REFUSED]
)
@pytest.mark.django_db
def test_bad_uploads_are_refused_with_a_clear_message(label, maker, name, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_document(in_memory(maker(), name))
    assert message in excinfo.value.messages[0]
    event = AuditEvent.objects.get(action="upload.refused")
    assert event.data["name"] == name


@pytest.mark.django_db
def test_size_limit(settings):
    settings.PINGYI_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError, match="超过 1 MB"):
        validate_document(in_memory(b"%PDF-" + b"0" * (1 << 20), "big.pdf"))


@pytest.mark.django_db
def test_pdf_only_fields_refuse_docx():
    with pytest.raises(ValidationError, match="只能上传 PDF"):
        validate_document(in_memory(real_docx(), "a.docx"), kinds=(PDF,))
