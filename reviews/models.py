from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subjects.files import private_upload_to
from subjects.models import Official, Unit

from .workflow import Phase, PlanStatus


class ReviewKind(models.TextChoices):
    DUTY = "duty", "述职评议"
    WORK = "work", "工作评议"
    DEMOCRATIC = "democratic", "民主评议"


class Review(models.Model):
    """One 评议活动: a year's review of a batch of officials or units."""

    kind = models.CharField(_("评议类型"), max_length=20, choices=ReviewKind.choices)
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("名称"), max_length=200)
    term = models.CharField(_("届次"), max_length=20, help_text=_("本届常委会，如“第十七届”。"))
    phase = models.CharField(_("阶段"), max_length=20, choices=Phase.choices, default=Phase.PREPARE)

    plan_document = models.FileField(_("实施方案"), upload_to=private_upload_to, blank=True)
    plan_document_name = models.CharField(_("实施方案文件名"), max_length=200, blank=True)
    plan_status = models.CharField(
        _("实施方案状态"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    plan_decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    plan_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    plan_comment = models.TextField(_("审批意见"), blank=True)

    prepare_starts_on = models.DateField(_("准备阶段开始"), null=True, blank=True)
    prepare_ends_on = models.DateField(_("准备阶段结束"), null=True, blank=True)
    investigate_starts_on = models.DateField(_("调查阶段开始"), null=True, blank=True)
    investigate_ends_on = models.DateField(_("调查阶段结束"), null=True, blank=True)
    meeting_starts_on = models.DateField(_("评议会议阶段开始"), null=True, blank=True)
    meeting_ends_on = models.DateField(_("评议会议阶段结束"), null=True, blank=True)
    rectify_starts_on = models.DateField(_("整改阶段开始"), null=True, blank=True)
    rectify_ends_on = models.DateField(_("整改阶段结束"), null=True, blank=True)

    announcement = models.TextField(
        _("公示说明"), blank=True, help_text=_("公示页面上显示的实施方案摘要。")
    )
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    rules_frozen_at = models.DateTimeField(_("规则锁定时间"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评议活动")
        verbose_name_plural = _("评议活动")
        ordering = ["-year", "-id"]

    def __str__(self):
        return self.title

    PHASE_DATE_FIELDS = {
        Phase.PREPARE: ("prepare_starts_on", "prepare_ends_on"),
        Phase.INVESTIGATE: ("investigate_starts_on", "investigate_ends_on"),
        Phase.MEETING: ("meeting_starts_on", "meeting_ends_on"),
        Phase.RECTIFY: ("rectify_starts_on", "rectify_ends_on"),
    }

    def timetable(self):
        """[(phase label, starts_on, ends_on)] in order."""
        return [
            (Phase(phase).label, getattr(self, start), getattr(self, end))
            for phase, (start, end) in self.PHASE_DATE_FIELDS.items()
        ]

    @property
    def timetable_complete(self) -> bool:
        return all(start and end for _label, start, end in self.timetable())

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class GradingDenominator(models.TextChoices):
    VALID_BALLOTS = "valid", "有效票数"
    ALL_MEMBERS = "members", "常委会全体组成人员数"


class ReviewRules(models.Model):
    """The rules later phases read. Frozen when the review enters 评议会议, so results stay
    reproducible under the rules they were cast under."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="rules")
    allow_unknown = models.BooleanField(
        _("测评设“不了解”选项"),
        default=False,
        help_text=_("勾选后，测评票除满意、基本满意、不满意外增加“不了解”。"),
    )
    grading_denominator = models.CharField(
        _("计算比例的基数"),
        max_length=10,
        choices=GradingDenominator.choices,
        default=GradingDenominator.VALID_BALLOTS,
    )
    satisfied_min_percent = models.PositiveSmallIntegerField(
        _("评为“满意”所需满意率（%）"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("满意率 =（满意 + 基本满意）÷ 基数。"),
    )
    dissatisfied_over_percent = models.PositiveSmallIntegerField(
        _("“不满意”票超过（%）即评为“不满意”"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    plan_due_months = models.PositiveSmallIntegerField(
        _("整改方案期限（月）"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    report_due_months = models.PositiveSmallIntegerField(
        _("整改报告期限（月）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    party_report_days = models.PositiveSmallIntegerField(
        _("会后向党委报告期限（天）"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("分组显示结果的最少票数 k"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("某一投票群体的票数少于 k 时，不单独显示该群体的结果，以免推断个人投票。"),
    )

    class Meta:
        verbose_name = _("评议规则")
        verbose_name_plural = _("评议规则")

    def __str__(self):
        return f"{self.review} 的规则"


class LeadershipPosition(models.TextChoices):
    LEADER = "leader", "组长"
    DEPUTY = "deputy", "副组长"
    MEMBER = "member", "成员"


class LeadershipMember(models.Model):
    """A member of the review's 领导小组."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="leadership")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("人员"),
    )
    position = models.CharField(_("职务"), max_length=10, choices=LeadershipPosition.choices)
    title = models.CharField(
        _("本职"), max_length=100, blank=True, help_text=_("如“常委会副主任”。")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("领导小组成员")
        verbose_name_plural = _("领导小组成员")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="unique_leadership_member")
        ]

    def __str__(self):
        return f"{self.get_position_display()} {self.user}"


class WorkingGroup(models.Model):
    """A 评议工作组 / 初评小组: a leader and members, assigned some of the subjects."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("名称"), max_length=50, help_text=_("如“第一评议工作组”。"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("组长"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="working_groups",
        verbose_name=_("成员"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评议工作组")
        verbose_name_plural = _("评议工作组")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "name"], name="unique_group_name")]

    def __str__(self):
        return self.name


class Dimension(models.Model):
    """One line of 评议内容, e.g. 依法行政."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="dimensions")
    name = models.CharField(_("评议内容"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评议内容")
        verbose_name_plural = _("评议内容")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


DEFAULT_DIMENSIONS = (
    ("贯彻执行法律法规、依法行政", "学习宣传和贯彻执行宪法、法律法规，依法履职、依法行政的情况"),
    ("履行职责与完成工作任务", "履行岗位职责、完成年度目标任务、推动重点工作的情况"),
    (
        "执行人大决议决定、办理代表建议",
        "执行本级人大及其常委会决议决定，办理代表建议、批评和意见的情况",
    ),
    ("接受人大监督", "向人大常委会报告工作、落实审议意见、接受询问和视察检查的情况"),
    ("办理群众来信来访", "处理群众来信来访、解决群众反映问题的情况"),
    ("廉洁自律", "遵守廉洁从政规定、改进工作作风的情况"),
)


class SubjectForm(models.TextChoices):
    ONSITE = "onsite", "现场述职"
    WRITTEN = "written", "书面述职"


class Subject(models.Model):
    """A 评议对象 of one review: an official (述职评议) or a unit (工作评议 / 民主评议).

    Name, unit and post are copied at enrolment so the review's record does not change when
    the roster does.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="subjects")
    official = models.ForeignKey(
        Official,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("被任命人员"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("单位"),
    )
    form = models.CharField(_("述职形式"), max_length=10, choices=SubjectForm.choices)
    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subjects",
        verbose_name=_("评议工作组"),
    )
    display_name = models.CharField(_("评议对象"), max_length=100)
    unit_name = models.CharField(_("单位"), max_length=100)
    post = models.CharField(_("职务"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    enrolled_at = models.DateTimeField(_("确定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评议对象")
        verbose_name_plural = _("评议对象")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(official__isnull=False, unit__isnull=True)
                    | Q(official__isnull=True, unit__isnull=False)
                ),
                name="subject_is_official_or_unit",
            ),
            models.UniqueConstraint(
                fields=["review", "official"],
                condition=Q(official__isnull=False),
                name="unique_review_official",
            ),
            models.UniqueConstraint(
                fields=["review", "unit"],
                condition=Q(unit__isnull=False),
                name="unique_review_unit",
            ),
        ]
        indexes = [models.Index(fields=["review", "group"], name="subject_group_idx")]

    def __str__(self):
        return self.display_name

    @property
    def is_unit(self) -> bool:
        return self.unit_id is not None
