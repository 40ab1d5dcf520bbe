"""Forms of the satisfaction vote and the council's 继续整改. They only parse input; the rules
are in `cases.start_vote` and `cases.order_continue`, whose refusals are shown here (R23)."""

from django import forms
from django.utils import timezone

from subjects.forms import DATE_WIDGET


class VoteStartForm(forms.Form):
    meeting = forms.TypedChoiceField(
        label="测评会议",
        coerce=int,
        error_messages={
            "required": "请选择进行整改满意度测评的会议。",
            "invalid_choice": "所选会议不属于本次评议或已有测评，请重新选择。",
        },
    )
    title = forms.CharField(
        label="测评名称",
        max_length=200,
        required=False,
        help_text="留空则为“会议名称 + 整改情况满意度测评”。",
        error_messages={"max_length": "测评名称不能超过 200 个字。"},
    )

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [("", "请选择会议")] + [
            (m.pk, f"{m.session_name}（{timezone.localtime(m.starts_at):%Y-%m-%d}）")
            for m in meetings
        ]


class ContinueForm(forms.Form):
    council_session = forms.CharField(
        label="作出决定的主任会议",
        max_length=100,
        error_messages={
            "required": "请填写作出决定的主任会议，如“第三十五次主任会议”。",
            "max_length": "会议名称不能超过 100 个字。",
        },
    )
    council_date = forms.DateField(
        label="会议日期",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写主任会议日期。", "invalid": "请输入有效的日期。"},
    )
    due_on = forms.DateField(
        label="继续整改报告报送期限",
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": "请输入有效的日期。"},
    )
    requirements = forms.CharField(
        label="继续整改要求",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写入继续整改通知，并告知评议对象。",
    )

    def __init__(self, *args, default_due=None, report_months=3, **kwargs):
        kwargs.setdefault("initial", {"council_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["council_session"].widget.attrs["placeholder"] = "第三十五次主任会议"
        hint = f"留空则为主任会议日期起 {report_months} 个月（遇节假日顺延至下一个工作日）"
        if default_due is not None:
            hint += f"，按今天计为 {default_due:%Y-%m-%d}"
            self.fields["due_on"].widget.attrs["placeholder"] = f"{default_due:%Y-%m-%d}"
        self.fields["due_on"].help_text = hint + "。"
