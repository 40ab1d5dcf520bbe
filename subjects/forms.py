from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .audit import ACTION_LABELS


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
    action = forms.ChoiceField(label="事件类型", required=False)
    actor = forms.CharField(label="操作人", required=False, max_length=50)
    q = forms.CharField(label="关键词", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "全部"), *sorted(ACTION_LABELS.items())]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "截止日期不能早于起始日期。")
        return cleaned
