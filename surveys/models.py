"""Phase 2 (调查/初评): questionnaires and their answers, investigation activities, the
问题清单 (findings), the working groups' 调查报告 and the officials' 述职报告.

Secrecy of questionnaires (R7): an invitation is consumed by a conditional UPDATE in the
same transaction that stores the response, and the response carries no reference to the
invitation, no respondent and no exact time (only the day). Answers are rows so that results
are one GROUP BY, whatever the number of responses.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reviews.models import Choice, Dimension, Review, Subject
from subjects.files import private_upload_to

# --- questionnaires ---------------------------------------------------------------------------


class Audience(models.TextChoices):
    DEPUTIES = "deputies", "人大代表"
    SERVICE_USERS = "service_users", "服务对象"
    PUBLIC = "public", "社会公众"
    UNIT_STAFF = "unit_staff", "单位干部职工"


class QuestionKind(models.TextChoices):
    SATISFACTION = "satisfaction", "满意度（满意/基本满意/不满意）"
    SINGLE = "single", "单选题"
    MULTIPLE = "multiple", "多选题"
    SCORE = "score", "评分题（0–100 分）"
    TEXT = "text", "填空题（文字意见）"
    MATRIX = "matrix", "矩阵题（每个评议对象 × 每项评议内容）"


# The satisfaction scale, in the order respondents see it. 不了解 only where the question
# allows it.
SCALE = (Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED)
SCALE_WITH_UNKNOWN = (*SCALE, Choice.UNKNOWN)


def _public_token() -> str:
    return secrets.token_urlsafe(12)


class Questionnaire(models.Model):
    """A questionnaire of a review. Draft until the office publishes it; answers are taken
    between opens_at and closes_at; frozen (no more edits) once the first answer arrives."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="questionnaires")
    title = models.CharField(_("问卷名称"), max_length=200)
    intro = models.TextField(
        _("问卷说明"),
        blank=True,
        help_text=_("显示在问卷开头，例如填写目的、匿名承诺和截止时间。"),
    )
    audience = models.CharField(_("调查对象"), max_length=20, choices=Audience.choices)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    open_link = models.BooleanField(
        _("开放链接"),
        default=False,
        help_text=_("允许任何人通过公开链接或二维码填写（面向社会公众）。"),
    )
    public_token = models.CharField(max_length=32, unique=True, default=_public_token)
    paper_received = models.PositiveIntegerField(_("收回纸质问卷份数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="questionnaire_window"
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def status(self, now=None) -> str:
        """draft / scheduled / open / closed."""
        now = now or timezone.now()
        if self.published_at is None:
            return "draft"
        if now < self.opens_at:
            return "scheduled"
        if now >= self.closes_at:
            return "closed"
        return "open"

    def is_accepting(self, now=None) -> bool:
        return self.status(now) == "open"

    STATUS_LABELS = {"draft": "草稿", "scheduled": "未开始", "open": "进行中", "closed": "已截止"}

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status()]


class Section(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections"
    )
    title = models.CharField(_("部分标题"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("问卷部分")
        verbose_name_plural = _("问卷部分")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class Question(models.Model):
    """One question. A satisfaction, score or text question may be about one subject; a
    matrix question asks the satisfaction scale for each of its subjects × each of its
    dimensions (no dimensions: one overall column)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("题型"), max_length=15, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=300)
    help_text = models.CharField(_("填写提示"), max_length=300, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    options = models.JSONField(_("选项"), default=list, blank=True)  # single / multiple
    allow_unknown = models.BooleanField(_("设“不了解”选项"), default=False)
    subject = models.ForeignKey(
        Subject,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("针对的评议对象"),
    )
    subjects = models.ManyToManyField(
        Subject, blank=True, related_name="+", verbose_name=_("矩阵中的评议对象")
    )
    dimensions = models.ManyToManyField(
        Dimension, blank=True, related_name="+", verbose_name=_("矩阵中的评议内容")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["order", "id"]

    def __str__(self):
        return self.text

    @property
    def scale(self) -> tuple:
        return SCALE_WITH_UNKNOWN if self.allow_unknown else SCALE


class Channel(models.TextChoices):
    INVITATION = "invitation", "邀请码"
    ACCOUNT = "account", "代表账号"
    OPEN = "open", "公开链接"
    PAPER = "paper", "纸质问卷"


def _random_uuid():
    return uuid.uuid4()


class Response(models.Model):
    """One filled questionnaire. Points to no respondent and no invitation; only the day it
    arrived is kept (R7). Open-link responses that look like repeats are marked suspicious
    for staff to see (R8)."""

    id = models.UUIDField(primary_key=True, default=_random_uuid, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices)
    submitted_on = models.DateField(default=timezone.localdate)
    suspicious = models.BooleanField(default=False)
    # Paper forms only: the staff member who keyed it in (staff are not respondents).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("问卷答卷")
        verbose_name_plural = _("问卷答卷")
        indexes = [models.Index(fields=["questionnaire", "channel"], name="response_channel_idx")]

    def __str__(self):
        return f"{self.get_channel_display()}答卷"


class Answer(models.Model):
    """One answered cell: a choice (satisfaction code or option index), a score, or text.
    A multiple-choice question stores one row per selected option."""

    # Sixty answers a submission: a database foreign-key check per row and column locks the
    # questionnaire's, questions', subjects' and dimensions' rows FOR KEY SHARE, hundreds of
    # shared row locks per submission that a hall full of phones contends on. Those four are
    # enforced by the application instead: answers are made only from a validated form of the
    # frozen questionnaire, and Django's collector still cascades deletes (db_constraint off
    # changes no ORM behaviour). The response keeps its database constraint (its row is the
    # submission's own). questionnaire needs no index of its own: answer_question_idx leads
    # with it.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", db_constraint=False
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    choice = models.CharField(max_length=15, blank=True)
    number = models.SmallIntegerField(null=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        indexes = [models.Index(fields=["questionnaire", "question"], name="answer_question_idx")]

    def __str__(self):
        return f"答案 {self.pk}"


class InvitationBatch(models.Model):
    """A batch of one-time invitations for a named audience (e.g. 120 名县人大代表)."""

    class Delivery(models.TextChoices):
        SLIPS = "slips", "打印邀请条（二维码 + 邀请码）"
        EMAIL = "email", "电子邮件发送链接"
        ACCOUNTS = "accounts", "发给代表账号（登录后在“我的问卷”填写）"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="batches"
    )
    label = models.CharField(_("名称"), max_length=100, help_text=_("如“县人大代表 120 名”。"))
    delivery = models.CharField(_("发放方式"), max_length=10, choices=Delivery.choices)
    count = models.PositiveIntegerField(_("数量"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("邀请批次")
        verbose_name_plural = _("邀请批次")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.label


class Invitation(models.Model):
    """One one-time invitation. Only the hash of its code is stored; `used` has no time so
    that it cannot be matched to a response (R7)."""

    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="invitations")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    email = models.EmailField(blank=True)
    used = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("邀请")
        verbose_name_plural = _("邀请")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "user"],
                condition=Q(user__isnull=False),
                name="unique_invitation_per_user",
            )
        ]
        indexes = [models.Index(fields=["questionnaire", "used"], name="invitation_used_idx")]

    def __str__(self):
        return f"邀请 {self.pk}"


# --- 调查活动 (investigation records) -----------------------------------------------------------


class ActivityKind(models.TextChoices):
    FORUM = "forum", "座谈会"
    INTERVIEW = "interview", "个别访谈"
    INSPECTION = "inspection", "专题视察"
    CONSULTATION = "consultation", "征求意见"
    DOCUMENTS = "documents", "查阅资料"


class Activity(models.Model):
    """An investigation activity logged by a working group about some of its subjects."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="activities")
    group = models.ForeignKey(
        "reviews.WorkingGroup",
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("评议工作组"),
    )
    kind = models.CharField(_("活动类型"), max_length=15, choices=ActivityKind.choices)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    participants = models.TextField(
        _("参加人员"), blank=True, help_text=_("如“县人大代表 12 人、服务对象代表 6 人”。")
    )
    notes = models.TextField(_("情况记录"))
    subjects = models.ManyToManyField(
        Subject, related_name="activities", verbose_name=_("涉及的评议对象")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("调查活动")
        verbose_name_plural = _("调查活动")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.held_on:%Y-%m-%d}）"


class ActivityAttachment(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=private_upload_to)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


# --- 问题清单 (findings) -----------------------------------------------------------------------


class FindingCategory(models.TextChoices):
    LAW = "law", "依法行政"
    DUTY = "duty", "履职尽责"
    CONDUCT = "conduct", "作风建设"
    INTEGRITY = "integrity", "廉洁自律"
    PROPOSALS = "proposals", "办理代表建议"
    OTHER = "other", "其他"


class FindingSource(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", "问卷调查"
    FORUM = "forum", "座谈会"
    INTERVIEW = "interview", "个别访谈"
    INSPECTION = "inspection", "专题视察"
    CONSULTATION = "consultation", "征求意见"
    DOCUMENTS = "documents", "查阅资料"
    PROPOSALS = "proposals", "代表建议办理"
    LETTERS = "letters", "群众来信来访"
    OTHER = "other", "其他"


class Severity(models.TextChoices):
    MINOR = "minor", "一般"
    SERIOUS = "serious", "较重"
    GRAVE = "grave", "严重"


class FindingStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    WITHDRAWN = "withdrawn", "已撤销"


class Finding(models.Model):
    """One entry of a subject's 问题清单. Its number is allocated once per review and never
    reused (a withdrawn finding keeps it), so opinion clauses and rectification items can
    cite it for ever."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="findings")
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="findings", verbose_name=_("评议对象")
    )
    number = models.PositiveIntegerField(_("编号"))
    category = models.CharField(_("问题类别"), max_length=15, choices=FindingCategory.choices)
    description = models.TextField(_("问题描述"))
    source = models.CharField(_("问题来源"), max_length=15, choices=FindingSource.choices)
    activity = models.ForeignKey(
        Activity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("来源活动"),
    )
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("来源问卷"),
    )
    source_note = models.CharField(_("来源说明"), max_length=200, blank=True)
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("问题清单条目")
        verbose_name_plural = _("问题清单")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="unique_finding_number")
        ]

    def __str__(self):
        return f"{self.code} {self.description[:30]}"

    @property
    def code(self) -> str:
        """The stable id users cite, e.g. 问题-2025-007."""
        return f"问题-{self.review.year}-{self.number:03d}"


# --- 调查报告 (a working group's report on one subject) ----------------------------------------


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "起草中"
    SUBMITTED = "submitted", "已报送主任会议"
    RETURNED = "returned", "已退回修改"
    HEARD = "heard", "主任会议已听取"


class InvestigationReport(models.Model):
    subject = models.OneToOneField(
        Subject, on_delete=models.CASCADE, related_name="investigation_report"
    )
    group = models.ForeignKey(
        "reviews.WorkingGroup", on_delete=models.PROTECT, related_name="reports"
    )
    overview = models.TextField(_("基本情况"), blank=True)
    achievements = models.TextField(_("主要成绩"), blank=True)
    problems = models.TextField(_("存在的主要问题"), blank=True)
    suggestions = models.TextField(_("意见和建议"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    heard_on = models.DateField(_("听取日期"), null=True, blank=True)
    heard_session = models.CharField(_("主任会议"), max_length=100, blank=True)
    return_comment = models.TextField(_("退回意见"), blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic lock for two editors
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("调查报告")
        verbose_name_plural = _("调查报告")

    def __str__(self):
        return f"关于{self.subject}的调查报告"


class InvestigationReportAttachment(models.Model):
    report = models.ForeignKey(
        InvestigationReport, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=private_upload_to)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


# --- 述职报告 (the official's own report) -------------------------------------------------------


class DutyReportStatus(models.TextChoices):
    SUBMITTED = "submitted", "已提交，待评议办审核"
    ACCEPTED = "accepted", "评议办已接收"
    RETURNED = "returned", "已退回，请修改后重新上传"


class DutyReport(models.Model):
    """A subject's 述职报告: every upload is a version; the latest is the one that counts."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="duty_report")
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=DutyReportStatus.choices,
        default=DutyReportStatus.SUBMITTED,
    )
    current = models.ForeignKey(
        "DutyReportVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")

    def __str__(self):
        return f"{self.subject}的述职报告"


class DutyReportVersion(models.Model):
    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    file = models.FileField(upload_to=private_upload_to)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("述职报告版本")
        verbose_name_plural = _("述职报告版本")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="unique_duty_report_version")
        ]

    def __str__(self):
        return f"第 {self.number} 版 {self.name}"


class DutyReportSettings(models.Model):
    """Per review: the upload deadline and whether the reports went out to the members."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="duty_settings")
    due_at = models.DateTimeField(_("提交截止时间"), null=True, blank=True)
    distributed_at = models.DateTimeField(_("印发常委会组成人员时间"), null=True, blank=True)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("述职报告安排")
        verbose_name_plural = _("述职报告安排")

    def __str__(self):
        return f"{self.review}的述职报告安排"
