import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .roles import Role

phone_validator = RegexValidator(r"^1\d{10}$", _("请输入 11 位手机号码。"))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, username, password, **extra_fields):
        if not username:
            raise ValueError("username is required")
        extra_fields["phone"] = extra_fields.get("phone") or None
        user = self.model(username=username, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, username, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, password, **extra_fields)

    def create_superuser(self, username, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(username, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: office staff, council, members, deputies, officials.

    Logs in with the username or the mobile number. `is_staff` gives access to the Django
    admin, which is for the office's superusers only.
    """

    username = models.CharField(
        _("用户名"),
        max_length=64,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("登录用，可使用字母、数字和 @/./+/-/_。"),
        error_messages={"unique": _("该用户名已被使用。")},
    )
    phone = models.CharField(
        _("手机号"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[phone_validator],
        help_text=_("可用手机号代替用户名登录。"),
        error_messages={"unique": _("该手机号已被其他账号使用。")},
    )
    full_name = models.CharField(_("姓名"), max_length=50)
    organization = models.CharField(_("单位"), max_length=100, blank=True)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可进入管理后台"), default=False)
    date_joined = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["full_name", "username"]

    def __str__(self):
        return self.full_name or self.username

    def clean(self):
        super().clean()
        self.phone = self.phone or None
        if self.is_staff and not self.is_superuser:
            raise ValidationError({"is_staff": _("管理后台仅供超级管理员使用。")})

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name

    @cached_property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))


class UserRole(models.Model):
    """One role held by one user. A user may hold several (a member who also leads a group)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unique_user_role"),
        ]

    def __str__(self):
        return self.get_role_display()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """An append-only record of a decision or a security event (R21, R22).

    Rows are never updated or deleted by the application; on PostgreSQL a trigger refuses
    UPDATE and DELETE as well. Ballots are never recorded here (R4).
    """

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=100, blank=True)
    action = models.CharField(_("事件"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    summary = models.CharField(_("摘要"), max_length=300)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    # The review the decision belongs to, when it belongs to one: a review's archive carries
    # its audit log. A plain integer, so this base app does not depend on `reviews`.
    review_id = models.IntegerField(_("评议活动"), null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class ServiceHeartbeat(models.Model):
    """Last time a background service proved it was alive (shown on the status page)."""

    name = models.CharField(max_length=32, primary_key=True)
    last_seen = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台服务心跳")
        verbose_name_plural = _("后台服务心跳")

    def __str__(self):
        return self.name


class UnitCategory(models.TextChoices):
    GOVERNMENT = "government", "政府组成部门"
    COURT = "court", "法院"
    PROCURATORATE = "procuratorate", "检察院"
    SUPERVISION = "supervision", "监察委员会"
    VERTICAL = "vertical", "垂直管理单位"
    TOWNSHIP = "township", "镇街"
    OTHER = "other", "其他"


def category_rank(prefix: str = ""):
    """Sort units the way a committee lists them (政府组成部门, 法院, 检察院 …), not by code."""
    return models.Case(
        *(
            models.When(**{f"{prefix}category": value}, then=models.Value(rank))
            for rank, value in enumerate(UnitCategory.values)
        ),
        default=models.Value(len(UnitCategory.values)),
        output_field=models.IntegerField(),
    )


class Unit(models.Model):
    """A unit whose officials the committee appoints, or whose work it reviews."""

    name = models.CharField(
        _("单位名称"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("已有同名单位。")},
    )
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    category = models.CharField(_("单位类别"), max_length=20, choices=UnitCategory.choices)
    liaison_committee = models.CharField(
        _("联系工作委员会"),
        max_length=50,
        blank=True,
        help_text=_("负责联系该单位的人大常委会工作机构，如“法制工作委员会”。"),
    )
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="contact_units",
        verbose_name=_("单位联络员"),
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = [category_rank(), "name"]

    def __str__(self):
        return self.name


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class OfficialStatus(models.TextChoices):
    SERVING = "serving", "在任"
    LEFT = "left", "已离任"


class Official(models.Model):
    """A person appointed by the standing committee (被任命人员)."""

    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="officials", verbose_name=_("单位")
    )
    post = models.CharField(_("职务"), max_length=100)
    appointed_on = models.DateField(_("任命日期"), help_text=_("常委会决定任命的日期。"))
    in_post_since = models.DateField(_("任现职时间"))
    term = models.CharField(_("届次"), max_length=20, help_text=_("如“第十七届”。"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OfficialStatus.choices, default=OfficialStatus.SERVING
    )
    phone = models.CharField(_("手机号"), max_length=11, blank=True, validators=[phone_validator])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="official",
        verbose_name=_("登录账号"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("被任命人员")
        verbose_name_plural = _("被任命人员")
        ordering = [category_rank("unit__"), "unit__name", "name"]
        indexes = [
            models.Index(fields=["name"], name="official_name_idx"),
            models.Index(fields=["status", "in_post_since"], name="official_tenure_idx"),
            models.Index(fields=["term", "status"], name="official_term_idx"),
        ]

    def __str__(self):
        return self.name


class PostHistory(models.Model):
    """A post an official held before the current one (written when the post changes)."""

    official = models.ForeignKey(
        Official, on_delete=models.CASCADE, related_name="post_history", verbose_name=_("人员")
    )
    unit_name = models.CharField(_("单位"), max_length=100)
    post = models.CharField(_("职务"), max_length=100)
    appointed_on = models.DateField(_("任命日期"), null=True, blank=True)
    started_on = models.DateField(_("任职起始"), null=True, blank=True)
    ended_on = models.DateField(_("任职截止"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任职经历")
        verbose_name_plural = _("任职经历")
        ordering = ["-ended_on", "-id"]

    def __str__(self):
        return f"{self.unit_name} {self.post}"


class Notification(models.Model):
    """An in-app message to one user (enrolment, reminders …); email goes out beside it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


class CompositionMember(models.Model):
    """A member of the standing committee (常委会组成人员) in one term. Quorum and the
    继续整改 threshold are counted against all of them, not against those present."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="compositions",
        verbose_name=_("人员"),
    )
    term = models.CharField(_("届次"), max_length=20)
    title = models.CharField(
        _("职务"), max_length=30, default="委员", help_text=_("主任、副主任、秘书长或委员。")
    )
    is_active = models.BooleanField(_("在任"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("常委会组成人员")
        verbose_name_plural = _("常委会组成人员")
        ordering = ["term", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "term"], name="unique_composition_member")
        ]

    def __str__(self):
        return f"{self.term} {self.title} {self.user}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """A long job (a large export, a batch of PDFs) started by a POST and run by a Celery
    worker; the page polls its progress (ARCHITECTURE.md, start-then-poll). The result file
    is kept in the default storage so any web node can serve it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=50)
    label = models.CharField(_("任务"), max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="private/jobs/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self):
        return self.label

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
