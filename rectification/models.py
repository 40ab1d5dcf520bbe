"""Phase 4 and the review's official documents.

The 评议意见 (Opinion) is drafted per subject from what the earlier phases recorded, approved by
the chairpersons' council and issued as a numbered 公文 (Document). Documents are rendered to
GB/T 9704 PDFs by the worker; numbers come from a gapless sequence per issuing organ and year.
Obligations are deadlines that live in the database and are scanned by beat (R18): reminders
are rows unique per (obligation, kind), so a second scan sends nothing twice.

This app owns opinions and documents (not `reviews`) so that dependencies point one way:
rectification → surveys (findings) → reviews → subjects (docs/decisions/0008).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.models import Review, Subject
from subjects.files import private_upload_to

# --- issuing organs and their number sequences ------------------------------------------------


class IssuingOrgan(models.Model):
    """An organ that issues documents: its name in the red 版头, the 代字 of its 发文字号 and the
    落款. Numbers run per organ and year."""

    name = models.CharField(_("发文机关全称"), max_length=100)
    header = models.CharField(
        _("版头"),
        max_length=60,
        help_text=_("红色版头上的文字，如“示范县人民代表大会常务委员会文件”。"),
    )
    code = models.CharField(
        _("发文机关代字"), max_length=20, help_text=_("发文字号中年份前的部分，如“示人常发”。")
    )
    signature = models.CharField(_("落款"), max_length=100)
    printer = models.CharField(
        _("印发机关"), max_length=100, help_text=_("版记中的印发机关，如“示范县人大常委会办公室”。")
    )
    is_default = models.BooleanField(_("默认发文机关"), default=False)

    class Meta:
        verbose_name = _("发文机关")
        verbose_name_plural = _("发文机关")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="unique_organ_code"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_organ"
            ),
        ]

    def __str__(self):
        return self.name


class DocumentSequence(models.Model):
    """The last number issued by an organ in a year. Locked (SELECT … FOR UPDATE) in the same
    transaction that creates the document, so numbers are unique and have no gaps."""

    organ = models.ForeignKey(IssuingOrgan, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organ", "year"], name="unique_sequence_year")
        ]

    def __str__(self):
        return f"{self.organ_id}/{self.year}: {self.last}"


# --- documents --------------------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    OPINION = "opinion", "评议意见"
    RESULT_NOTICE = "result_notice", "测评结果通报"
    PARTY_REPORT = "party_report", "评议工作情况报告"
    RECTIFICATION_NOTICE = "rectification_notice", "整改通知"
    CONTINUE_NOTICE = "continue_notice", "继续整改通知"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发"


class RenderStatus(models.TextChoices):
    PENDING = "pending", "排队生成"
    RENDERING = "rendering", "正在生成"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


class Document(models.Model):
    """One official document of a review. `body` is a list of blocks
    ({"kind": "heading"|"subheading"|"paragraph"|"clause"|"table", "text": …, "internal": bool})
    frozen when issued, so the PDF can always be rendered again from the row alone."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("文种"), max_length=25, choices=DocumentKind.choices)
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("评议对象"),
    )
    opinion = models.ForeignKey(
        "Opinion", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    source_version = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    organ = models.ForeignKey(
        IssuingOrgan, on_delete=models.PROTECT, related_name="documents", verbose_name=_("发文机关")
    )
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    number = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    recipients = models.CharField(_("主送"), max_length=300, blank=True)
    cc = models.TextField(_("抄送"), blank=True)
    signed_on = models.DateField(_("成文日期"), null=True, blank=True)
    body = models.JSONField(_("正文"), default=list)
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("印发人"),
    )

    render_status = models.CharField(
        _("文件生成"), max_length=10, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_attempts = models.PositiveSmallIntegerField(default=0)
    render_error = models.CharField(max_length=300, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=private_upload_to, blank=True)
    pdf_size = models.PositiveIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    received_on = models.DateField(_("签收日期"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签收人"),
    )
    receipt_recorded = models.BooleanField(
        _("由办公室登记送达"), default=False, help_text=_("未签收时由办公室登记的送达日期。")
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公文")
        verbose_name_plural = _("公文")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organ", "year", "number"],
                condition=Q(number__isnull=False),
                name="unique_document_number",
            ),
            # One stored document per opinion version, however often a batch is retried (R20).
            models.UniqueConstraint(
                fields=["opinion", "source_version"],
                condition=Q(opinion__isnull=False),
                name="one_document_per_opinion_version",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False, year__isnull=False),
                name="issued_document_has_number",
            ),
        ]
        indexes = [models.Index(fields=["render_status"], name="document_render_idx")]

    def __str__(self):
        return self.title

    @property
    def reference(self) -> str:
        """The 发文字号, e.g. 示人常发〔2024〕12号; empty for a draft."""
        if self.number is None:
            return ""
        return f"{self.organ.code}〔{self.year}〕{self.number}号"

    @property
    def is_issued(self) -> bool:
        return self.status == DocumentStatus.ISSUED


# --- 评议意见 -----------------------------------------------------------------------------------


class OpinionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待主任会议审议"
    RETURNED = "returned", "已退回修改"
    APPROVED = "approved", "已批准"
    ISSUED = "issued", "已印发"


class Opinion(models.Model):
    """The 评议意见 for one subject. `version` counts saves; an editor sends the version they
    loaded and a save on top of somebody else's is refused (no silent overwrite)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="opinions")
    subject = models.OneToOneField(
        Subject, on_delete=models.PROTECT, related_name="opinion", verbose_name=_("评议对象")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=OpinionStatus.choices, default=OpinionStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("稿次"), default=1)
    title = models.CharField(_("标题"), max_length=200)
    opening = models.TextField(_("开头"), blank=True)
    overall = models.TextField(_("总体评价"), blank=True)
    overall_internal = models.BooleanField(_("总体评价不公开"), default=False)
    requirements = models.TextField(_("整改要求"), blank=True)

    submitted_at = models.DateTimeField(_("提请审议时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审议时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审议登记人"),
    )
    council_session = models.CharField(_("主任会议"), max_length=100, blank=True)
    council_date = models.DateField(_("主任会议日期"), null=True, blank=True)
    return_comment = models.TextField(_("退回意见"), blank=True)

    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("评议意见")
        verbose_name_plural = _("评议意见")
        ordering = ["subject__form", "subject__order", "subject_id"]
        indexes = [models.Index(fields=["review", "status"], name="opinion_review_status_idx")]

    def __str__(self):
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in (OpinionStatus.DRAFT, OpinionStatus.RETURNED)


class OpinionClause(models.Model):
    """One numbered clause of 存在的问题, citing the findings it comes from."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="clauses")
    order = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("问题表述"))
    internal = models.BooleanField(_("不公开"), default=False)
    findings = models.ManyToManyField(
        "surveys.Finding", blank=True, related_name="clauses", verbose_name=_("对应问题")
    )

    class Meta:
        verbose_name = _("意见条目")
        verbose_name_plural = _("意见条目")
        ordering = ["order", "id"]

    def __str__(self):
        return self.text[:30]


class OpinionVersion(models.Model):
    """Every saved state of an opinion (title, sections, clauses and their findings)."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("稿次"))
    snapshot = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["opinion", "number"], name="unique_opinion_version")
        ]

    def __str__(self):
        return f"{self.opinion_id} v{self.number}"


# --- deadlines ---------------------------------------------------------------------------------


class ObligationKind(models.TextChoices):
    PARTY_REPORT = "party_report", "向党委报告评议情况"
    PLAN = "plan", "提交整改方案"
    REPORT = "report", "提交整改报告"


class Obligation(models.Model):
    """Something owed by a date. Reminders are derived from `due_on` by the scan (R18); the
    obligation closes when `fulfilled_at` is set."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="obligations")
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, null=True, blank=True, related_name="obligations"
    )
    kind = models.CharField(_("事项"), max_length=25, choices=ObligationKind.choices)
    due_on = models.DateField(_("截止日期"))
    fulfilled_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Rectification deadlines belong to a round of a subject's case (the plan to round 1).
    round = models.ForeignKey(
        "RectificationRound",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="obligations",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind"],
                condition=Q(subject__isnull=True),
                name="one_review_obligation_per_kind",
            ),
            models.UniqueConstraint(
                fields=["round", "kind"],
                condition=Q(round__isnull=False),
                name="one_round_obligation_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(fulfilled_at__isnull=True),
                name="open_obligation_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.due_on:%Y-%m-%d}）"


class Reminder(models.Model):
    """One reminder of an obligation, unique per (obligation, kind): inserted and notified in
    one transaction, so concurrent or repeated scans give exactly one (R18)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    # "before-7@2026-12-01", "due@…", "overdue-2@…": the stage reached and the due date it
    # counted from, so a deadline moved by a decision is reminded of afresh.
    kind = models.CharField(max_length=40)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["obligation", "kind"], name="unique_reminder_kind")
        ]

    def __str__(self):
        return f"{self.obligation_id}/{self.kind}"


# --- rectification (整改) ------------------------------------------------------------------------


class Holiday(models.Model):
    """A day of the office's calendar that differs from Monday–Friday: a public holiday, or a
    weekend day worked in exchange (调休上班). Announced yearly by the State Council, so data."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("调休上班"), default=False, help_text=_("勾选表示该日虽是周末但需上班。")
    )
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name}"


class CaseStatus(models.TextChoices):
    OPEN = "open", "整改中"
    CLOSED = "closed", "已办结"


class RectificationCase(models.Model):
    """A subject's rectification, opened when its opinion is received (签收 or 送达): items
    from the opinion's clauses, a plan, and one or more rounds each ending in a report."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="rectification_cases")
    subject = models.OneToOneField(
        Subject, on_delete=models.PROTECT, related_name="rectification", verbose_name=_("评议对象")
    )
    opinion = models.OneToOneField(Opinion, on_delete=models.PROTECT, related_name="case")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("意见送达日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["subject__form", "subject__order", "subject_id"]
        indexes = [models.Index(fields=["review", "status"], name="case_review_status_idx")]

    def __str__(self):
        return f"{self.subject.display_name}的整改"


class ReviewStatus(models.TextChoices):
    """Where a plan or a report stands with the office."""

    DRAFT = "draft", "填写中"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回修改"
    ACCEPTED = "accepted", "已通过"


class Submission(models.Model):
    """What a plan and a report share: submitted by the official, accepted or returned with
    comments by the office (rectification.cases)."""

    status = models.CharField(
        _("状态"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    # The uploaded document's original name (the stored name is random).
    file_name = models.CharField(max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submissions = models.PositiveSmallIntegerField(_("提交次数"), default=0)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_comment = models.TextField(_("退回意见"), blank=True)

    class Meta:
        abstract = True

    @property
    def editable(self) -> bool:
        return self.status in (ReviewStatus.DRAFT, ReviewStatus.RETURNED)


class RectificationItem(models.Model):
    """One problem to fix — one clause of the opinion, and so its findings — with the plan's
    四定: 定措施 (measures), 定人员 (responsible), 定时间 (due_on) and 定任务 (standard)."""

    case = models.ForeignKey(RectificationCase, on_delete=models.CASCADE, related_name="items")
    clause = models.ForeignKey(
        OpinionClause, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("序号"))
    problem = models.TextField(_("问题"))
    measures = models.TextField(_("整改措施"), blank=True)
    responsible = models.CharField(_("责任人"), max_length=100, blank=True)
    due_on = models.DateField(_("完成时限"), null=True, blank=True)
    standard = models.TextField(_("完成标准"), blank=True)

    class Meta:
        verbose_name = _("整改条目")
        verbose_name_plural = _("整改条目")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "order"], name="unique_item_order")]

    def __str__(self):
        return self.problem[:30]


class RectificationPlan(Submission):
    """The 整改方案 of a case: the items' 四定 plus an optional document, reviewed by the
    office (or the liaison working committee) which accepts it or returns it with comments."""

    case = models.OneToOneField(RectificationCase, on_delete=models.CASCADE, related_name="plan")
    summary = models.TextField(_("总体安排"), blank=True)
    file = models.FileField(_("方案文件"), upload_to=private_upload_to, max_length=255, blank=True)

    class Meta:
        verbose_name = _("整改方案")
        verbose_name_plural = _("整改方案")

    def __str__(self):
        return f"{self.case}方案"


class RoundOutcome(models.TextChoices):
    PENDING = "pending", "待测评"
    SATISFIED = "satisfied", "满意"
    DISSATISFIED = "dissatisfied", "不满意（待主任会议决定继续整改）"
    CONTINUED = "continued", "继续整改"


class RectificationRound(models.Model):
    """One round of a case: round 1 starts at receipt of the opinion; each 继续整改 ordered by
    the chairpersons' council starts another with its own report deadline. The round ends
    with the committee's satisfaction vote on the report."""

    case = models.ForeignKey(RectificationCase, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    started_on = models.DateField(_("起算日期"))
    council_session = models.CharField(_("主任会议"), max_length=100, blank=True)
    council_date = models.DateField(_("主任会议日期"), null=True, blank=True)
    requirements = models.TextField(_("继续整改要求"), blank=True)
    notice = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    poll = models.ForeignKey(
        "reviews.Poll", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(
        _("测评结果"), max_length=15, choices=RoundOutcome.choices, default=RoundOutcome.PENDING
    )
    dissatisfied = models.PositiveIntegerField(_("不满意票（组成人员）"), null=True, blank=True)
    composition_total = models.PositiveIntegerField(_("全体组成人员"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("整改轮次")
        verbose_name_plural = _("整改轮次")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="unique_round_number")
        ]

    def __str__(self):
        return f"第{self.number}轮"


class RectificationReport(Submission):
    """The 整改落实情况报告 of a round: per item a status, explanation and evidence, plus the
    overall report document; reviewed like the plan."""

    round = models.OneToOneField(
        RectificationRound, on_delete=models.CASCADE, related_name="report"
    )
    summary = models.TextField(_("总体情况"), blank=True)
    file = models.FileField(_("报告文件"), upload_to=private_upload_to, max_length=255, blank=True)

    class Meta:
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")

    def __str__(self):
        return f"{self.round.case}报告（{self.round}）"


class ItemStatus(models.TextChoices):
    DONE = "done", "已完成"
    ONGOING = "ongoing", "正在推进"
    NOT_STARTED = "not_started", "未启动"


class ItemProgress(models.Model):
    """An item's state in a round's report."""

    report = models.ForeignKey(
        RectificationReport, on_delete=models.CASCADE, related_name="progress"
    )
    item = models.ForeignKey(RectificationItem, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(
        _("完成情况"), max_length=15, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED
    )
    explanation = models.TextField(_("情况说明"), blank=True)

    class Meta:
        verbose_name = _("条目进展")
        verbose_name_plural = _("条目进展")
        constraints = [
            models.UniqueConstraint(fields=["report", "item"], name="unique_item_progress")
        ]

    def __str__(self):
        return f"{self.item_id}@{self.report_id}"


class Evidence(models.Model):
    """An attachment proving an item's progress (private, served through a checked view)."""

    progress = models.ForeignKey(ItemProgress, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=private_upload_to, max_length=255)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class FollowUpKind(models.TextChoices):
    EXPLANATION = "explanation", "向主任会议说明"
    INQUIRY = "inquiry", "询问"
    INTERPELLATION = "interpellation", "质询"


class FollowUp(models.Model):
    """What followed a case beyond the rounds: the explanation a subject graded 不满意 owes the
    chairpersons' council, and 询问 or 质询 held on inadequate rectification."""

    case = models.ForeignKey(RectificationCase, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("类型"), max_length=15, choices=FollowUpKind.choices)
    session = models.CharField(_("会议"), max_length=100)
    held_on = models.DateField(_("日期"))
    summary = models.TextField(_("情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("跟踪监督")
        verbose_name_plural = _("跟踪监督")
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on}"


class ReviewArchive(models.Model):
    """The archive of a finished review: one zip with every issued PDF, the results, the
    ledger and the audit log, kept in storage; the review is read-only from then on."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="archive")
    file = models.FileField(upload_to=private_upload_to, max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("归档")
        verbose_name_plural = _("归档")

    def __str__(self):
        return f"{self.review_id} 归档"


class LedgerPublication(models.Model):
    """The office's decision to show a review's rectification status on its public page."""

    review = models.OneToOneField(
        Review, on_delete=models.CASCADE, related_name="ledger_publication"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("整改情况公开")
        verbose_name_plural = _("整改情况公开")

    def __str__(self):
        return f"{self.review_id} 整改情况公开"


class DigestRun(models.Model):
    """The office's daily digest of everything overdue, unique per day: inserted in the
    transaction that creates the digest notifications, so it is sent once a day (R18)."""

    day = models.DateField(unique=True)
    overdue = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.day} 逾期汇总"
