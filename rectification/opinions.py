"""评议意见: drafted from what the review recorded, approved by the chairpersons' council,
issued as a numbered document.

    opinion = open_opinion(actor=clerk, subject=subject)        # prefilled draft, version 1
    save_opinion(actor=clerk, opinion=opinion, version=1, …)    # refused if someone saved since
    submit(actor=clerk, opinion=opinion); approve(actor=clerk, opinion=…, session=…, on=…)
    issue_opinion(actor=clerk, opinion=opinion)                 # 发文字号 + PDF task

Every save keeps a snapshot (OpinionVersion). A document is stored once per opinion version
(unique constraint), so a batch that is retried after a lost worker finds the document it
already made (R20).
"""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from reviews.models import Inquiry, InquiryStatus, PollState, PollSubject, Review, Subject
from subjects.audit import record, register_actions
from subjects.notifications import notify
from subjects.roles import Role, has_role
from surveys.duty_reports import recipients_of
from surveys.models import Finding, FindingCategory, FindingStatus, InvestigationReport

from . import documents, wording
from .models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Opinion,
    OpinionClause,
    OpinionStatus,
    OpinionVersion,
)

register_actions(
    {
        "opinion.opened": "起草评议意见",
        "opinion.saved": "修改评议意见",
        "opinion.submitted": "提请主任会议审议评议意见",
        "opinion.approved": "主任会议批准评议意见",
        "opinion.returned": "主任会议退回评议意见",
        "opinion.issued": "印发评议意见",
    }
)

CONFLICT = (
    "{who}于{when}保存了新的稿次（第 {version} 稿），您的修改没有保存。请对照下方最新内容重新修改。"
)
DEFAULT_CC = wording.default_cc()


class Conflict(ValidationError):
    """Somebody saved the opinion after the editor loaded it."""


# --- reading ------------------------------------------------------------------------------------


def opinions_of(review: Review):
    """A review's opinions with everything their list shows, in a constant number of queries."""
    return (
        Opinion.objects.filter(review=review)
        .select_related("subject", "updated_by")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=Document.objects.filter(status=DocumentStatus.ISSUED)
                .select_related("organ")
                .order_by("-source_version"),
                to_attr="issued_documents",
            )
        )
    )


def current_document(opinion: Opinion) -> Document | None:
    issued = getattr(opinion, "issued_documents", None)
    if issued is not None:
        return issued[0] if issued else None
    return (
        opinion.documents.filter(status=DocumentStatus.ISSUED)
        .select_related("organ")
        .order_by("-source_version")
        .first()
    )


def get_opinion_for_user(user, pk) -> Opinion:
    """The office sees every opinion; the council those submitted to it or decided; others
    get a 404 (officials see only the issued document, through the document fetcher)."""
    opinions = Opinion.objects.select_related("review", "subject", "updated_by")
    if has_role(user, Role.OFFICE):
        pass
    elif has_role(user, Role.COUNCIL):
        opinions = opinions.exclude(status__in=(OpinionStatus.DRAFT,))
    else:
        raise Http404
    opinion = opinions.filter(pk=pk).first()
    if opinion is None:
        raise Http404
    return opinion


def snapshot(opinion: Opinion) -> dict:
    clauses = [
        {
            "text": clause.text,
            "internal": clause.internal,
            "findings": sorted(f.pk for f in clause.findings.all()),
        }
        for clause in opinion.clauses.prefetch_related("findings").order_by("order", "id")
    ]
    return {
        "title": opinion.title,
        "opening": opinion.opening,
        "overall": opinion.overall,
        "overall_internal": opinion.overall_internal,
        "requirements": opinion.requirements,
        "clauses": clauses,
    }


# --- the prefilled draft ------------------------------------------------------------------------


def default_title(subject: Subject) -> str:
    """E.g. "关于对县公安局局长王某某同志\\n履职情况的评议意见", broken where a reader would."""
    if subject.is_unit:
        return f"关于对{subject.unit_name}\n工作情况的评议意见"
    post = f"{subject.unit_name}{subject.post}" if subject.post else subject.unit_name
    return f"关于对{post}{subject.display_name}同志\n履职情况的评议意见"


def _poll_item(subject: Subject):
    """The subject's line in the latest closed or published poll of the review, if any."""
    return (
        PollSubject.objects.filter(
            subject=subject, poll__state__in=(PollState.CLOSED, PollState.PUBLISHED)
        )
        .select_related("poll", "poll__meeting")
        .order_by("-poll__closed_at")
        .first()
    )


def _grade_sentence(item) -> str:
    from reviews import meetings

    if item is None:
        return ""
    results = meetings.results(item.poll)
    line = next((r for r in results.items if r.item.pk == item.pk), None)
    if line is None or line.grade is None or not line.grade.grade:
        return ""
    grade = line.grade
    return (
        f"满意度测评结果为“{grade.label}”，满意率（含基本满意）为"
        f"{grade.satisfaction_rate * 100:.1f}%。"
    )


def _opening(subject: Subject, item) -> str:
    review = subject.review
    who = wording.full_name(subject)
    if item is not None:
        meeting = item.poll.meeting
        when = wording.date_cn(timezone.localdate(meeting.starts_at))
        return (
            f"根据{wording.LAW}和{review.title}实施方案，"
            f"常委会于{when}召开{meeting.session_name}，听取了{who}的"
            f"{'工作' if subject.is_unit else '履职'}情况报告，进行了询问和满意度测评。"
            "现将评议意见转告如下："
        )
    return (
        f"根据{wording.LAW}和{review.title}实施方案，"
        f"常委会对{who}进行了{review.get_kind_display()}。现将评议意见转告如下："
    )


def _inquiry_sentence(subject: Subject) -> str:
    inquiries = list(
        Inquiry.objects.filter(subject=subject, status=InquiryStatus.ANSWERED).only(
            "follow_up_promised"
        )
    )
    if not inquiries:
        return ""
    promised = sum(1 for i in inquiries if i.follow_up_promised)
    sentence = f"会上，常委会组成人员就有关问题提出询问{len(inquiries)}次，均当场作了回答"
    if promised:
        sentence += f"，其中{promised}项承诺会后书面答复，请按期办理"
    return sentence + "。"


def _requirements(subject: Subject) -> str:
    plan, report, _ = wording.periods(subject.review)
    who = wording.addressee(subject)
    return (
        f"请{who}高度重视评议意见，逐条研究制定整改措施，明确整改责任、时限和标准，"
        f"于收到本意见之日起{plan}个月内将整改方案报送常委会，"
        f"{report}个月内向常委会书面报告整改落实情况。常委会将适时对整改情况进行满意度测评。"
    )


def draft_content(subject: Subject) -> dict:
    """The opinion as the system can prefill it: the achievements of the group's 调查报告, the
    测评 result, the 询问 record, one clause per category of active findings (citing them),
    the deadlines of the review's rules."""
    item = _poll_item(subject)
    report = InvestigationReport.objects.filter(subject=subject).only("achievements").first()
    achievements = " ".join((report.achievements if report else "").split())
    overall = "".join(
        filter(
            None,
            [
                achievements
                or (f"{wording.addressee(subject)}任职以来，" if not subject.is_unit else "")
                + "（请根据调查报告填写履职成效。）",
                _grade_sentence(item),
                _inquiry_sentence(subject),
            ],
        )
    )
    by_category = defaultdict(list)
    for finding in Finding.objects.filter(subject=subject, status=FindingStatus.ACTIVE).order_by(
        "number"
    ):
        by_category[finding.category].append(finding)
    labels = dict(FindingCategory.choices)
    clauses = []
    for category in FindingCategory.values:
        found = by_category.get(category)
        if not found:
            continue
        details = "；".join(f.description.rstrip("。；;. ") for f in found)
        clauses.append(
            {
                "text": f"{labels[category]}方面存在不足。{details}。",
                "internal": False,
                "findings": [f.pk for f in found],
            }
        )
    return {
        "title": default_title(subject),
        "opening": _opening(subject, item),
        "overall": overall,
        "overall_internal": False,
        "requirements": _requirements(subject),
        "clauses": clauses,
    }


def _write_clauses(opinion: Opinion, clauses: list[dict]) -> None:
    opinion.clauses.all().delete()
    valid = set(Finding.objects.filter(subject_id=opinion.subject_id).values_list("pk", flat=True))
    for order, data in enumerate(clauses, start=1):
        clause = OpinionClause.objects.create(
            opinion=opinion, order=order, text=data["text"], internal=data.get("internal", False)
        )
        cited = [pk for pk in data.get("findings", []) if pk in valid]
        if cited:
            clause.findings.set(cited)


def _keep_version(opinion: Opinion, actor) -> None:
    OpinionVersion.objects.create(
        opinion=opinion, number=opinion.version, snapshot=snapshot(opinion), saved_by=actor
    )


@transaction.atomic
def open_opinion(*, actor, subject: Subject) -> Opinion:
    """The subject's opinion; a prefilled draft the first time."""
    subject = Subject.objects.select_for_update().select_related("review").get(pk=subject.pk)
    existing = Opinion.objects.filter(subject=subject).first()
    if existing is not None:
        return existing
    documents.require_draft_phase(subject.review)
    content = draft_content(subject)
    opinion = Opinion.objects.create(
        review=subject.review,
        subject=subject,
        title=content["title"],
        opening=content["opening"],
        overall=content["overall"],
        overall_internal=False,
        requirements=content["requirements"],
        updated_by=actor,
    )
    _write_clauses(opinion, content["clauses"])
    _keep_version(opinion, actor)
    record(
        actor=actor,
        action="opinion.opened",
        target=opinion,
        summary=f"起草评议意见：{subject}",
        data={"clauses": len(content["clauses"])},
    )
    return opinion


def open_all(*, actor, review: Review) -> int:
    """Open a draft for every enrolled subject that has none; the number opened."""
    opened = 0
    for subject in review.subjects.filter(opinion__isnull=True):
        open_opinion(actor=actor, subject=subject)
        opened += 1
    return opened


def _lock(opinion: Opinion) -> Opinion:
    return (
        Opinion.objects.select_for_update()
        .select_related("review", "subject", "updated_by")
        .get(pk=opinion.pk)
    )


def _lines(text: str) -> str:
    """Browsers post CRLF; keep plain newlines, trimmed lines, no empty edges."""
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").split("\n")).strip()


@transaction.atomic
def save_opinion(
    *,
    actor,
    opinion: Opinion,
    version: int,
    title: str,
    opening: str,
    overall: str,
    overall_internal: bool,
    requirements: str,
    clauses: list[dict],
) -> Opinion:
    """Save a new version. `version` is what the editor loaded: if somebody saved since, the
    save is refused (Conflict) rather than silently overwriting their text."""
    opinion = _lock(opinion)
    documents.require_draft_phase(opinion.review)
    if version != opinion.version:
        editor = opinion.updated_by
        who = (editor.full_name or editor.username) if editor else "他人"
        when = timezone.localtime(opinion.updated_at).strftime("%m-%d %H:%M")
        raise Conflict(
            CONFLICT.format(who=who, when=when, version=opinion.version), code="conflict"
        )
    if not opinion.editable:
        raise ValidationError(f"评议意见{opinion.get_status_display()}，不能再修改。")
    if not title.strip():
        raise ValidationError("请填写标题。")
    before = snapshot(opinion)
    opinion.title = _lines(title)
    opinion.opening = _lines(opening)
    opinion.overall = _lines(overall)
    opinion.overall_internal = overall_internal
    opinion.requirements = _lines(requirements)
    opinion.version += 1
    opinion.updated_by = actor
    opinion.save()
    _write_clauses(
        opinion,
        [{**c, "text": _lines(c["text"])} for c in clauses if c.get("text", "").strip()],
    )
    after = snapshot(opinion)
    _keep_version(opinion, actor)
    record(
        actor=actor,
        action="opinion.saved",
        target=opinion,
        summary=f"修改评议意见（第 {opinion.version} 稿）：{opinion.subject}",
        data={
            "version": opinion.version,
            "changed": sorted(k for k in after if after[k] != before.get(k)),
        },
    )
    return opinion


@transaction.atomic
def submit(*, actor, opinion: Opinion) -> Opinion:
    opinion = _lock(opinion)
    if not opinion.editable:
        raise ValidationError(f"评议意见{opinion.get_status_display()}，不能提请审议。")
    if not opinion.overall.strip():
        raise ValidationError("请先填写“总体评价”。")
    opinion.status = OpinionStatus.SUBMITTED
    opinion.submitted_at = timezone.now()
    opinion.save(update_fields=["status", "submitted_at"])
    record(
        actor=actor,
        action="opinion.submitted",
        target=opinion,
        summary=f"提请主任会议审议评议意见（第 {opinion.version} 稿）：{opinion.subject}",
        data={"version": opinion.version},
    )
    return opinion


def _require_submitted(opinion: Opinion) -> None:
    if opinion.status != OpinionStatus.SUBMITTED:
        raise ValidationError(f"评议意见{opinion.get_status_display()}，不在待审议状态。")


@transaction.atomic
def approve(*, actor, opinion: Opinion, session: str, on: date) -> Opinion:
    """The chairpersons' council approved the opinion (recorded with its session and date)."""
    opinion = _lock(opinion)
    _require_submitted(opinion)
    if not session.strip():
        raise ValidationError("请填写审议的主任会议，如“第三十二次主任会议”。")
    if on > timezone.localdate():
        raise ValidationError("审议日期不能晚于今天。")
    opinion.status = OpinionStatus.APPROVED
    opinion.council_session = session.strip()
    opinion.council_date = on
    opinion.decided_at = timezone.now()
    opinion.decided_by = actor
    opinion.return_comment = ""
    opinion.save(
        update_fields=[
            "status",
            "council_session",
            "council_date",
            "decided_at",
            "decided_by",
            "return_comment",
        ]
    )
    record(
        actor=actor,
        action="opinion.approved",
        target=opinion,
        summary=(
            f"{opinion.council_session}批准评议意见（第 {opinion.version} 稿）：{opinion.subject}"
        ),
        data={"version": opinion.version, "session": opinion.council_session, "on": on.isoformat()},
    )
    return opinion


@transaction.atomic
def return_opinion(*, actor, opinion: Opinion, comment: str) -> Opinion:
    opinion = _lock(opinion)
    _require_submitted(opinion)
    if not comment.strip():
        raise ValidationError("退回时请写明修改意见。")
    opinion.status = OpinionStatus.RETURNED
    opinion.return_comment = comment.strip()
    opinion.decided_at = timezone.now()
    opinion.decided_by = actor
    opinion.save(update_fields=["status", "return_comment", "decided_at", "decided_by"])
    record(
        actor=actor,
        action="opinion.returned",
        target=opinion,
        summary=f"主任会议退回评议意见：{opinion.subject}",
        data={"version": opinion.version},
    )
    return opinion


# --- issuing ------------------------------------------------------------------------------------


def body_of(opinion: Opinion) -> list[dict]:
    blocks = [{"kind": "paragraph", "text": opinion.opening}] if opinion.opening else []
    blocks.append({"kind": "heading", "text": "一、总体评价"})
    blocks += [
        {"kind": "paragraph", "text": line.strip(), "internal": opinion.overall_internal}
        for line in opinion.overall.splitlines()
        if line.strip()
    ]
    clauses = list(opinion.clauses.prefetch_related("findings").order_by("order", "id"))
    if clauses:
        blocks.append({"kind": "heading", "text": "二、存在的问题"})
        for clause in clauses:
            blocks.append(
                {
                    "kind": "clause",
                    "text": " ".join(clause.text.split()),
                    "internal": clause.internal,
                    "findings": [f.code for f in clause.findings.all()],
                }
            )
    blocks.append({"kind": "heading", "text": f"{'三' if clauses else '二'}、整改要求"})
    blocks += [
        {"kind": "paragraph", "text": line.strip()}
        for line in opinion.requirements.splitlines()
        if line.strip()
    ]
    return blocks


def _notify_subject(document: Document) -> None:
    url = reverse("rectification:official_document", args=[document.pk])
    for user in recipients_of(document.subject):
        notify(
            recipient=user,
            title=f"收到{document.get_kind_display()}：{document.reference}",
            body="请查阅并签收。签收日期即整改时限的起算日。",
            url=url,
        )


def issue_locked_opinion(
    *, actor, opinion: Opinion, signed_on: date | None = None, cc: str | None = None
) -> tuple[Document, bool]:
    """Issue an approved, locked opinion: (its document, whether this call made it). The
    document of this opinion version is made once, however often this runs (R20)."""
    existing = Document.objects.filter(opinion=opinion, source_version=opinion.version).first()
    if existing is not None:
        return existing, False
    if opinion.status != OpinionStatus.APPROVED:
        raise ValidationError(
            f"评议意见{opinion.get_status_display()}，只有主任会议批准的意见才能印发。"
        )
    subject = opinion.subject
    try:
        with transaction.atomic():
            document = Document.objects.create(
                review=opinion.review,
                kind=DocumentKind.OPINION,
                subject=subject,
                opinion=opinion,
                source_version=opinion.version,
                organ=documents.default_organ(),
                title=opinion.title,
                recipients=wording.addressee(subject),
                cc=DEFAULT_CC if cc is None else cc,
                body=body_of(opinion),
                created_by=actor,
            )
    except IntegrityError:
        return Document.objects.get(opinion=opinion, source_version=opinion.version), False
    documents.issue_locked(actor=actor, document=document, signed_on=signed_on)
    opinion.status = OpinionStatus.ISSUED
    opinion.save(update_fields=["status"])
    record(
        actor=actor,
        action="opinion.issued",
        target=opinion,
        summary=f"印发评议意见 {document.reference}：{subject}",
        data={"document": document.pk, "version": opinion.version},
    )
    _notify_subject(document)
    return document, True


@transaction.atomic
def issue_opinion(
    *, actor, opinion: Opinion, signed_on: date | None = None, cc: str | None = None
) -> Document:
    opinion = _lock(opinion)
    documents.require_draft_phase(opinion.review)
    document, made = issue_locked_opinion(actor=actor, opinion=opinion, signed_on=signed_on, cc=cc)
    if made:
        documents.enqueue_render(document.pk)
    return document


def approved_opinions(review: Review):
    return Opinion.objects.filter(review=review, status=OpinionStatus.APPROVED).order_by(
        "subject__form", "subject__order", "subject_id"
    )


def start_issue_all(*, actor, review: Review):
    """Start the batch job over the opinions approved now (their ids are the job's params, so
    a re-run after a lost worker finishes exactly this batch)."""
    from subjects.jobs import start_job

    ids = list(approved_opinions(review).values_list("pk", flat=True))
    if not ids:
        raise ValidationError("没有已批准、待印发的评议意见。")
    documents.require_draft_phase(review)
    return start_job(
        actor=actor,
        kind="rectification.tasks.issue_opinions",
        label=f"印发评议意见（{len(ids)} 份）",
        params={"review": review.pk, "opinions": ids},
    )


def issue_all(job, progress) -> tuple[str, object]:
    """The batch job: issue each opinion of the batch and render its PDF, in order; returns a
    zip of the PDFs for printing. Safe to run again after a lost worker: issued documents are
    found, not made again, and a rendered PDF is not rendered twice."""
    import tempfile
    import zipfile

    from .models import RenderStatus

    ids = job.params.get("opinions", [])
    archive = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the job, which closes it)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for done, opinion_id in enumerate(ids, start=1):
            with transaction.atomic():
                opinion = _lock(Opinion(pk=opinion_id))
                if opinion.status == OpinionStatus.APPROVED:
                    document, _made = issue_locked_opinion(actor=job.created_by, opinion=opinion)
                else:
                    document = current_document(opinion)
            if document is not None:
                if document.render_status != RenderStatus.DONE:
                    documents.render_document(document.pk)
                document.refresh_from_db()
                if document.pdf:
                    with document.pdf.open("rb") as handle:
                        bundle.writestr(f"{document.reference}.pdf", handle.read())
            progress(done, len(ids))
    archive.seek(0)
    return "评议意见.zip", archive


def preview_document(opinion: Opinion) -> Document:
    """An unsaved document of the opinion as it would be issued now (for the draft preview)."""
    return Document(
        review=opinion.review,
        kind=DocumentKind.OPINION,
        subject=opinion.subject,
        organ=documents.default_organ(),
        title=opinion.title,
        recipients=wording.addressee(opinion.subject),
        cc=DEFAULT_CC,
        body=body_of(opinion),
    )
