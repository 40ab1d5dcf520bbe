"""Forms of the office's case, ledger and holiday pages. They parse input only; the rules are
in the services (cases.py, ledger.py, holidays.py), whose refusals land on these forms (R23)."""

from django import forms

from reviews.models import Subject
from subjects.forms import DATE_WIDGET
from subjects.widgets import FastSelect, bootstrap
from surveys.models import FindingCategory

from .ledger import NOT_REPORTED
from .models import FollowUpKind, ItemStatus, Obligation

DATE_ERRORS = {"invalid": "请输入有效的日期。"}


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "退回时请写明修改意见。"},
    )


class DeadlineForm(forms.Form):
    obligation = forms.ModelChoiceField(
        label="事项",
        queryset=Obligation.objects.none(),
        empty_label=None,
        error_messages={
            "required": "请选择要调整的事项。",
            "invalid_choice": "该事项不存在或已完成，请刷新页面。",
        },
    )
    due_on = forms.DateField(
        label="新的截止日期",
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": "请填写新的截止日期。"},
    )
    reason = forms.CharField(
        label="调整依据",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如“经第三十五次主任会议同意延期”。",
        error_messages={"required": "请写明调整时限的依据（如主任会议决定）。"},
    )

    def __init__(self, *args, obligations=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["obligation"]
        field.queryset = obligations if obligations is not None else Obligation.objects.none()
        field.label_from_instance = lambda o: (
            f"{o.get_kind_display()}（第{o.round.number}轮，截止 {o.due_on:%Y-%m-%d}）"
            if o.round_id
            else o.get_kind_display()
        )


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型",
        choices=FollowUpKind.choices,
        error_messages={"required": "请选择类型。", "invalid_choice": "请选择类型。"},
    )
    session = forms.CharField(
        label="会议",
        max_length=100,
        help_text="如“第三十六次主任会议”“第二十次常委会会议”。",
        error_messages={"required": "请填写会议名称。"},
    )
    held_on = forms.DateField(
        label="日期",
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": "请填写日期。"},
    )
    summary = forms.CharField(
        label="情况",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请简要记录情况。"},
    )


class LedgerFilterForm(forms.Form):
    subject = forms.TypedChoiceField(
        label="评议对象", required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    status = forms.ChoiceField(
        label="完成情况",
        required=False,
        choices=[("", "全部"), *ItemStatus.choices, (NOT_REPORTED, "未报告")],
        widget=FastSelect,
    )
    category = forms.ChoiceField(
        label="问题类别",
        required=False,
        choices=[("", "全部类别"), *FindingCategory.choices],
        widget=FastSelect,
    )
    overdue = forms.BooleanField(label="只看逾期", required=False)

    def __init__(self, *args, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        subjects = Subject.objects.filter(review=review, rectification__isnull=False).order_by(
            "form", "order", "id"
        )
        self.fields["subject"].choices = [
            ("", "全部评议对象"),
            *((s.pk, s.display_name) for s in subjects),
        ]
        bootstrap(self)


class HolidayForm(forms.Form):
    day = forms.DateField(
        label="日期", widget=DATE_WIDGET, error_messages={**DATE_ERRORS, "required": "请填写日期。"}
    )
    name = forms.CharField(
        label="名称", max_length=50, required=False, help_text="如“国庆节”；调休上班日可不填。"
    )
    is_workday = forms.BooleanField(
        label="调休上班",
        required=False,
        help_text="勾选表示该日虽是周末但需上班。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class HolidayImportForm(forms.Form):
    text = forms.CharField(
        label="全年安排",
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "2026-10-01 国庆节\n2026-10-10 调休上班"}
        ),
        help_text="每行一天：日期、空格、名称。名称写“调休上班”表示该周末日需上班。"
        "已在日历中的日期会被替换。",
        error_messages={"required": "请粘贴要导入的节假日安排。"},
    )
