"""Uploaded documents: checked by content (R14), stored privately, served with checks (R15).

Files are stored under random names in the default storage (a private folder, or S3-compatible
storage in a multi-node install); the original file name is kept as data on the owning row.
They are only ever served by `serve_private`, after the calling view checked permission.
"""

import os
import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header

from .security import security_event

PDF = "pdf"
DOCX = "docx"
CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# A real DOCX is a few hundred entries and rarely over 100 MiB once inflated; anything
# larger is treated as a zip bomb.
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_INFLATED = 200 * 1024 * 1024
_MACRO_MARKERS = ("vbaproject.bin", "vbadata.xml")


def private_upload_to(instance, filename: str) -> str:
    """A random storage name; the extension is the detected type, never the user's."""
    ext = os.path.splitext(filename)[1].lower()
    return f"private/{instance._meta.app_label}/{uuid.uuid4().hex}{ext}"


def _read_head(uploaded, size: int) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(size)
    uploaded.seek(0)
    return head


def _check_pdf(uploaded) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not _read_head(uploaded, 5).startswith(b"%PDF-"):
        raise ValidationError("文件内容不是 PDF：请上传由 Word/WPS 导出的 PDF 文件。")
    try:
        reader = PdfReader(uploaded, strict=False)
        if len(reader.pages) < 1:
            raise ValidationError("PDF 文件没有任何页面。")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise ValidationError("PDF 文件已损坏或无法读取，请重新导出后上传。") from None
    finally:
        uploaded.seek(0)


def _check_docx(uploaded) -> None:
    if not _read_head(uploaded, 4).startswith(b"PK\x03\x04"):
        raise ValidationError("文件内容不是 Word（.docx）文档。")
    try:
        with zipfile.ZipFile(uploaded) as archive:
            entries = archive.infolist()
            if len(entries) > DOCX_MAX_ENTRIES:
                raise ValidationError("文档结构异常（文件条目过多），已拒绝。")
            if sum(e.file_size for e in entries) > DOCX_MAX_INFLATED:
                raise ValidationError("文档解压后体积异常，已拒绝。")
            names = {e.filename for e in entries}
            lowered = {n.lower() for n in names}
            if any(n.endswith(_MACRO_MARKERS) for n in lowered):
                raise ValidationError("文档包含宏（.docm），出于安全考虑不能上传，请另存为 .docx。")
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise ValidationError("文件不是有效的 Word（.docx）文档。")
            content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            if "macroEnabled" in content_types:
                raise ValidationError("文档包含宏（.docm），出于安全考虑不能上传，请另存为 .docx。")
    except zipfile.BadZipFile:
        raise ValidationError("文件已损坏，无法作为 Word 文档打开。") from None
    finally:
        uploaded.seek(0)


def validate_document(uploaded, *, actor=None, kinds=(PDF, DOCX)) -> str:
    """Check an uploaded PDF or DOCX by its content; return its kind or raise ValidationError.

    A refusal is a security event (R22). The name the user gave decides nothing.
    """
    try:
        limit = settings.PINGYI_MAX_UPLOAD_MB * 1024 * 1024
        if uploaded.size > limit:
            raise ValidationError(f"文件超过 {settings.PINGYI_MAX_UPLOAD_MB} MB，请压缩后再上传。")
        head = _read_head(uploaded, 5)
        if head.startswith(b"%PDF-") and PDF in kinds:
            _check_pdf(uploaded)
            return PDF
        if head.startswith(b"PK\x03\x04") and DOCX in kinds:
            _check_docx(uploaded)
            return DOCX
        allowed = "、".join({PDF: "PDF", DOCX: "Word（.docx）"}[k] for k in kinds)
        raise ValidationError(f"只能上传 {allowed} 文件；该文件的内容不是这些格式。")
    except ValidationError as error:
        security_event(
            "upload.refused",
            f"拒绝上传文件：{getattr(uploaded, 'name', '')[:80]}",
            actor=actor,
            data={"name": getattr(uploaded, "name", "")[:200], "reason": error.messages[0]},
        )
        raise


def stored_name_for(kind: str, original_name: str) -> str:
    """The name users see when downloading: the original stem with the detected extension."""
    stem = os.path.splitext(os.path.basename(original_name))[0][:150] or "document"
    return f"{stem}.{kind}"


def serve_private(fieldfile, download_name: str) -> HttpResponse:
    """Send a private file as an attachment. The caller has already checked permission.

    In production nginx sends the bytes (X-Accel-Redirect to an `internal` location) so a
    web worker is not tied up; elsewhere Django streams them.
    """
    kind = os.path.splitext(fieldfile.name)[1].lstrip(".").lower()
    content_type = CONTENT_TYPES.get(kind, "application/octet-stream")
    disposition = content_disposition_header(as_attachment=True, filename=download_name)
    prefix = getattr(settings, "PINGYI_ACCEL_REDIRECT_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + fieldfile.name
    else:
        response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def in_memory(data: bytes, name: str):
    """An uploaded-file stand-in for services and tests that already hold the bytes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


__all__ = [
    "DOCX",
    "PDF",
    "in_memory",
    "private_upload_to",
    "serve_private",
    "stored_name_for",
    "validate_document",
]
