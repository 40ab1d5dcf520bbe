import uuid

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
    deputies_vote = models.BooleanField(
        _("列席代表参加测评"),
        default=False,
        help_text=_("勾选后，列席会议的人大代表作为单独的投票群体参加民主测评。"),
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


class AssessmentGrade(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


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
    # Set when the meeting's 民主测评 is published (reviews.meetings.publish_poll).
    assessment_grade = models.CharField(
        _("测评等次"), max_length=15, blank=True, choices=AssessmentGrade.choices
    )
    # Graded 不满意: owes an explanation to the chairpersons' council (DOMAIN.md); the
    # rectification phase records the explanation and clears it.
    explanation_due = models.BooleanField(_("须向主任会议说明"), default=False)

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


# --- 评议会议 -----------------------------------------------------------------------------------


class Meeting(models.Model):
    """The standing-committee session at which the subjects report and are voted on."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="meetings")
    session_name = models.CharField(
        _("会议名称"), max_length=100, help_text=_("如“县十八届人大常委会第十二次会议”。")
    )
    starts_at = models.DateTimeField(_("会议时间"))
    place = models.CharField(_("会议地点"), max_length=100)
    checkin_token = models.CharField(_("签到码"), max_length=64, unique=True)
    current_subject = models.ForeignKey(
        "Subject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("正在述职"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评议会议")
        verbose_name_plural = _("评议会议")
        ordering = ["-starts_at", "-id"]

    def __str__(self):
        return self.session_name


class AgendaItem(models.Model):
    """The order in which subjects report (现场述职 first, then 书面述职)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "subject"], name="unique_agenda_subject")
        ]

    def __str__(self):
        return f"{self.order}. {self.subject}"


class VoterGroup(models.TextChoices):
    MEMBER = "member", "常委会组成人员"
    DEPUTY = "deputy", "列席代表"


class Attendance(models.Model):
    """Someone checked in at the door (by staff, or by scanning the meeting's QR code)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员")
    )
    group = models.CharField(_("身份"), max_length=10, choices=VoterGroup.choices)
    checked_in_at = models.DateTimeField(_("签到时间"), auto_now_add=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="unique_attendance")
        ]

    def __str__(self):
        return f"{self.user} {self.get_group_display()}"


class InquiryStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    CALLED = "called", "正在询问"
    ANSWERED = "answered", "已答复"
    WITHDRAWN = "withdrawn", "已撤回"


class Inquiry(models.Model):
    """A member's question (询问) to a 现场述职 subject, and the answer."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="inquiries")
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="inquiries", verbose_name=_("询问对象")
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("询问人"),
    )
    question = models.TextField(_("询问内容"))
    answer = models.TextField(_("答复"), blank=True)
    follow_up_promised = models.BooleanField(_("承诺书面答复"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.QUEUED
    )
    queued_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("询问")
        verbose_name_plural = _("询问")
        ordering = ["queued_at", "id"]

    def __str__(self):
        return f"{self.asker} → {self.subject}"


# --- 民主测评: polls and secret ballots (RELIABILITY.md A, R1–R6) ---------------------------------


class PollState(models.TextChoices):
    CREATED = "created", "未开始"
    OPEN = "open", "投票中"
    CLOSED = "closed", "已结束"
    PUBLISHED = "published", "已公布"


class Choice(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    UNKNOWN = "unknown", "不了解"


class PollPurpose(models.TextChoices):
    ASSESSMENT = "assessment", "民主测评"
    RECTIFICATION = "rectification", "整改满意度测评"


class Poll(models.Model):
    """One 民主测评 of a meeting: a single ballot covering all of its subjects.

    created → open (needs the quorum; freezes the entitled voters and the rules) → closed
    (ballots sealed) → published. The list of who voted (Participation) is kept apart from
    the ballots, which point to no one.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="polls")
    title = models.CharField(_("名称"), max_length=200)
    # A rectification poll asks about each subject's rectification, not its performance: it is
    # held in the 整改 phase and judged against all composition members (DOMAIN.md).
    purpose = models.CharField(
        _("测评类型"),
        max_length=15,
        choices=PollPurpose.choices,
        default=PollPurpose.ASSESSMENT,
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=PollState.choices, default=PollState.CREATED
    )
    allow_unknown = models.BooleanField(_("设“不了解”选项"), default=False)
    rules_snapshot = models.JSONField(_("测评规则"), default=dict, blank=True)
    entitled_count = models.PositiveIntegerField(_("应参加测评人数"), default=0)
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    # Published to the review's public page (公开), a separate decision of the office.
    public_at = models.DateTimeField(_("向社会公开时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("民主测评")
        verbose_name_plural = _("民主测评")
        ordering = ["-id"]

    def __str__(self):
        return self.title


class PollSubject(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="items")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("测评对象")
        verbose_name_plural = _("测评对象")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "subject"], name="unique_poll_subject")
        ]

    def __str__(self):
        return str(self.subject)


class Voter(models.Model):
    """Someone entitled to vote in a poll, frozen when the poll opens: a logged-in member or
    deputy, or an anonymous slip code (stored only as a hash) handed out at random."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="voters")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.CharField(max_length=10, choices=VoterGroup.choices)
    code_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("参加测评人员")
        verbose_name_plural = _("参加测评人员")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user"], condition=Q(user__isnull=False), name="unique_poll_voter"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(code_hash__isnull=False),
                name="voter_has_user_or_code",
            ),
        ]

    def __str__(self):
        return f"{self.poll_id}:{self.pk}"


class Participation(models.Model):
    """That a voter has voted — never what. Unique per voter, so per (poll, voter) (R1)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="participations")
    voter = models.OneToOneField(Voter, on_delete=models.CASCADE, related_name="participation")

    class Meta:
        verbose_name = _("已投票记录")
        verbose_name_plural = _("已投票记录")

    def __str__(self):
        return f"{self.poll_id}:{self.voter_id}"


def _random_uuid():
    return uuid.uuid4()


class Ballot(models.Model):
    """A live electronic ballot while the poll is open (R2: a random id, no voter, no time,
    no serial number, no address). Moved to SealedBallot in random order at close (R3)."""

    id = models.UUIDField(primary_key=True, default=_random_uuid, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=10, choices=VoterGroup.choices)
    marks = models.JSONField()  # {poll_subject_id: Choice}

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")

    def __str__(self):
        return "选票"  # never anything that could identify it


class SealedBallot(models.Model):
    """A ballot after close: copied in random order in one transaction, so neither its
    position nor its `xmin` links it to a participation (R3)."""

    id = models.UUIDField(primary_key=True, default=_random_uuid, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=10, choices=VoterGroup.choices)
    marks = models.JSONField()

    class Meta:
        verbose_name = _("封存选票")
        verbose_name_plural = _("封存选票")

    def __str__(self):
        return "封存选票"


class PaperTally(models.Model):
    """Paper ballots of one voter group (R6): issued, returned, invalid, blank."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="paper_tallies")
    group = models.CharField(_("投票群体"), max_length=10, choices=VoterGroup.choices)
    issued = models.PositiveIntegerField(_("发出票数"), default=0)
    returned = models.PositiveIntegerField(_("收回票数"), default=0)
    invalid = models.PositiveIntegerField(_("无效票数"), default=0)
    blank = models.PositiveIntegerField(_("空白票数"), default=0)

    class Meta:
        verbose_name = _("纸质票统计")
        verbose_name_plural = _("纸质票统计")
        constraints = [models.UniqueConstraint(fields=["poll", "group"], name="unique_paper_tally")]

    def __str__(self):
        return f"{self.get_group_display()}纸质票"

    @property
    def valid(self) -> int:
        return max(self.returned - self.invalid - self.blank, 0)

    @property
    def void(self) -> bool:
        """More returned than issued voids the paper count (R6)."""
        return self.returned > self.issued


class PaperCount(models.Model):
    """Hand-counted marks of one voter group for one subject and one choice."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="paper_counts")
    group = models.CharField(max_length=10, choices=VoterGroup.choices)
    item = models.ForeignKey(PollSubject, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=15, choices=Choice.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("纸质票计数")
        verbose_name_plural = _("纸质票计数")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "group", "item", "choice"], name="unique_paper_count"
            )
        ]

    def __str__(self):
        return f"{self.item_id}:{self.choice}={self.count}"
