from django import forms
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from .audit import ACTION_LABELS
from .composition import ORDER_MAX, TITLES
from .models import Official, OfficialStatus, Unit, UnitCategory, User, category_rank
from .widgets import FastSelect, bootstrap


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="用户名或手机号",
        max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "用户名（或手机号）或密码不正确，请注意区分大小写。",
        "inactive": "该账号已停用，请联系评议办。",
    }


class AuditFilterForm(forms.Form):
    start = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(label="事件类型", required=False, widget=FastSelect)
    actor = forms.CharField(label="操作人", required=False, max_length=50)
    q = forms.CharField(label="关键词", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "全部"), *sorted(ACTION_LABELS.items())]
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "截止日期不能早于起始日期。")
        return cleaned


# --- The roster (名册) -----------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OfficialFilterForm(forms.Form):
    q = forms.CharField(label="姓名", required=False, max_length=50)
    unit = forms.ModelChoiceField(
        label="单位",
        required=False,
        queryset=Unit.objects.none(),
        empty_label="全部单位",
        widget=FastSelect,
    )
    category = forms.ChoiceField(
        label="单位类别",
        required=False,
        choices=[("", "全部类别"), *UnitCategory.choices],
        widget=FastSelect,
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *OfficialStatus.choices],
        widget=FastSelect,
    )
    term = forms.ChoiceField(label="届次", required=False, widget=FastSelect)
    tenure_years = forms.IntegerField(
        label="任现职满（年）",
        required=False,
        min_value=0,
        max_value=60,
        error_messages={
            "invalid": "请输入整数年数。",
            "min_value": "年数不能小于 0。",
            "max_value": "年数不能大于 60。",
        },
    )

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.order_by(category_rank(), "name")
        self.fields["term"].choices = [("", "全部届次"), *((t, t) for t in terms)]
        self.fields["q"].widget.attrs["placeholder"] = "输入姓名搜索"
        self.fields["tenure_years"].widget.attrs["placeholder"] = "如 3"
        bootstrap(self)

    def filters(self) -> dict:
        """The valid filters as keyword arguments of selectors.officials (bad ones dropped)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            key: value
            for key, value in cleaned.items()
            if key not in self.errors and value not in (None, "")
        }


class OfficialForm(forms.ModelForm):
    class Meta:
        model = Official
        fields = [
            "name",
            "gender",
            "unit",
            "post",
            "appointed_on",
            "in_post_since",
            "term",
            "status",
            "phone",
        ]
        widgets = {
            "appointed_on": DATE_WIDGET,
            "in_post_since": DATE_WIDGET,
            "gender": forms.RadioSelect,
        }
        help_texts = {
            "in_post_since": "担任现职务的起始日期；调整职务时请同时更新。",
            "post": "如“局长”“副院长”。",
        }
        error_messages = {
            "appointed_on": {"invalid": "请输入有效的日期，如 2023-05-01。"},
            "in_post_since": {"invalid": "请输入有效的日期，如 2023-05-01。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Inactive units are not offered, except the one the official is already in.
        units = Unit.objects.filter(Q(is_active=True) | Q(pk=self.instance.unit_id))
        self.fields["unit"].queryset = units.order_by(category_rank(), "name")
        self.fields["unit"].empty_label = "请选择单位"
        self.fields["gender"].choices = list(self.fields["gender"].choices)[1:]  # no "---------"
        self.fields["term"].widget.attrs["placeholder"] = "第十七届"

    def _not_in_future(self, field):
        value = self.cleaned_data.get(field)
        today = timezone.localdate()
        if value and value > today:
            raise forms.ValidationError(f"日期不能晚于今天（{today:%Y-%m-%d}）。")
        return value

    def clean_appointed_on(self):
        return self._not_in_future("appointed_on")

    def clean_in_post_since(self):
        return self._not_in_future("in_post_since")

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_post(self):
        return self.cleaned_data["post"].strip()

    def clean_term(self):
        return self.cleaned_data["term"].strip()


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "category", "liaison_committee", "is_active"]
        help_texts = {"is_active": "撤并或不再联系的单位可设为无效，历史记录仍保留。"}

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        help_text="请使用导入模板填写；整份文件校验通过后才会导入。",
        error_messages={"required": "请选择要导入的 Excel 文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PINGYI_MAX_UPLOAD_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {limit} MB，请拆分后分批导入。")
        return upload


# --- The standing committee's composition (常委会组成人员) -----------------------------------


def errors_into_form(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def report_refusal(request, error: ValidationError) -> None:
    """Show a service's refusal of a one-button step as error messages on the next page."""
    for message in error.messages:
        django_messages.error(request, message)


def user_label(user) -> str:
    extra = user.organization or user.position
    return f"{user.full_name or user.username}（{extra}）" if extra else str(user)


def active_users():
    return User.objects.filter(is_active=True).order_by("full_name", "username")


ORDER_FIELD_MESSAGES = {
    "invalid": "排序请填写整数。",
    "min_value": "排序不能小于 0。",
    "max_value": f"排序不能大于 {ORDER_MAX}。",
}


class CompositionTermForm(forms.Form):
    term = forms.ChoiceField(label="届次", required=False, widget=FastSelect)

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [(t, t) for t in terms]
        bootstrap(self)


class CompositionAddForm(forms.Form):
    user = forms.ModelChoiceField(
        label="人员",
        queryset=User.objects.none(),
        empty_label="请选择人员",
        widget=FastSelect,
        error_messages={
            "required": "请选择人员。",
            "invalid_choice": "所选人员不存在或账号已停用。",
        },
        help_text="从已启用的账号中选择；还没有账号的人员请先由管理员开通账号。",
    )
    term = forms.CharField(
        label="届次",
        max_length=20,
        error_messages={"required": "请填写届次，如“第十八届”。"},
    )
    title = forms.ChoiceField(
        label="职务",
        choices=[(t, t) for t in TITLES],
        initial="委员",
        widget=FastSelect,
        error_messages={"invalid_choice": "请选择主任、副主任、秘书长或委员。"},
    )
    order = forms.IntegerField(
        label="排序",
        required=False,
        min_value=0,
        max_value=ORDER_MAX,
        error_messages=ORDER_FIELD_MESSAGES,
        help_text="数字小的排在前面；留空则排在本届最后。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users()
        self.fields["user"].label_from_instance = user_label
        self.fields["term"].widget.attrs["placeholder"] = "第十八届"

    def clean_term(self):
        return self.cleaned_data["term"].strip()


class CompositionEditForm(forms.Form):
    title = forms.ChoiceField(
        label="职务",
        choices=[(t, t) for t in TITLES],
        widget=FastSelect,
        error_messages={"invalid_choice": "请选择主任、副主任、秘书长或委员。"},
    )
    order = forms.IntegerField(
        label="排序",
        min_value=0,
        max_value=ORDER_MAX,
        error_messages={**ORDER_FIELD_MESSAGES, "required": "请填写排序。"},
        help_text="数字小的排在前面。",
    )
    is_active = forms.BooleanField(
        label="在任",
        required=False,
        help_text="离任的人员取消勾选即可，记录仍保留；离任后不再计入会议的法定人数和表决基数。",
    )
