"""Forms of the investigation pages. They parse and present; the rules are in the services
(`surveys.investigation`, `surveys.findings`), whose refusals come back onto these forms."""

from django import forms
from django.utils import timezone

from reviews.models import Subject, WorkingGroup
from subjects.widgets import FastSelect, bootstrap

from .models import (
    Activity,
    ActivityKind,
    Finding,
    FindingCategory,
    FindingStatus,
    Severity,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT_DOCUMENTS = (
    ".pdf,.docx,application/pdf,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a (possibly empty) list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_DOCUMENTS}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        items = [item for item in items if item]
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def subject_label(subject: Subject) -> str:
    return f"{subject.display_name}（{subject.unit_name}{subject.post}）"


class ActivityForm(forms.ModelForm):
    attachments = MultipleFileField(
        label="附件",
        required=False,
        help_text="可选多个 PDF 或 Word（.docx）文件，如座谈会记录、访谈提纲、视察照片汇编。",
        error_messages={"empty": "上传的文件是空的。"},
    )

    class Meta:
        model = Activity
        fields = ["group", "kind", "held_on", "place", "participants", "notes", "subjects"]
        widgets = {
            "held_on": DATE_WIDGET,
            "subjects": forms.CheckboxSelectMultiple,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 8}),
        }
        error_messages = {
            "kind": {"required": "请选择活动类型。"},
            "held_on": {
                "required": "请填写活动日期。",
                "invalid": "请输入有效的日期，如 2025-05-20。",
            },
            "notes": {"required": "请填写情况记录。"},
            "subjects": {
                "required": "请至少选择一个涉及的评议对象。",
                "invalid_choice": "所选评议对象不在您可以记录的范围内。",
            },
            "group": {
                "required": "请选择评议工作组。",
                "invalid_choice": "所选评议工作组不在您可以记录的范围内。",
            },
        }
        help_texts = {"notes": "座谈、访谈或视察中了解到的情况、听到的意见和建议。"}

    def __init__(self, *args, groups, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["group"].empty_label = None
        group_list = list(groups)
        self.show_group = len(group_list) > 1
        if len(group_list) == 1:
            self.fields["group"].initial = group_list[0].pk
        if not self.instance.pk:
            self.fields["held_on"].initial = timezone.localdate()
        self.fields["subjects"].queryset = subjects.select_related("group").order_by(
            "group__order", "group_id", "order", "id"
        )
        if self.show_group:
            # A member of several groups sees which group each subject belongs to.
            self.fields["subjects"].label_from_instance = lambda s: (
                f"{subject_label(s)} · {s.group.name if s.group_id else '未分组'}"
            )
        else:
            self.fields["subjects"].label_from_instance = subject_label
        self.fields["kind"].choices = ActivityKind.choices
        self.fields["place"].widget.attrs["placeholder"] = "如“县人大常委会三楼会议室”"
        bootstrap(self)
        self.fields["subjects"].widget.attrs["class"] = "form-check-input"


class ActivityFilterForm(forms.Form):
    subject = forms.ModelChoiceField(
        label="评议对象", required=False, queryset=Subject.objects.none(), widget=FastSelect
    )
    kind = forms.ChoiceField(
        label="活动类型",
        required=False,
        choices=[("", "全部类型"), *ActivityKind.choices],
        widget=FastSelect,
    )
    group = forms.ModelChoiceField(
        label="评议工作组", required=False, queryset=WorkingGroup.objects.none(), widget=FastSelect
    )

    def __init__(self, *args, subjects, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].empty_label = "全部评议对象"
        self.fields["group"].queryset = groups
        self.fields["group"].empty_label = "全部工作组"
        bootstrap(self)

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = [
            "category",
            "severity",
            "description",
            "source",
            "activity",
            "questionnaire",
            "source_note",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "category": {"required": "请选择问题类别。"},
            "description": {"required": "请填写问题描述。"},
            "source": {"required": "请选择问题来源。"},
            "activity": {"invalid_choice": "只能选择本组在本次评议中记录的调查活动。"},
            "questionnaire": {"invalid_choice": "只能选择本次评议活动的问卷。"},
        }
        help_texts = {
            "description": "一条写一个问题，事实具体、表述客观，便于形成评议意见和整改清单。",
            "activity": "可选：问题来自本组记录的哪次调查活动。",
            "questionnaire": "可选：问题来自哪份问卷。",
            "source_note": "如“服务对象座谈会上 3 人反映”“代表建议第 12 号”。",
        }

    def __init__(self, *args, activities, questionnaires, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities
        self.fields["activity"].empty_label = "不关联"
        self.fields["activity"].label_from_instance = lambda a: (
            f"{a.get_kind_display()} {a.held_on:%Y-%m-%d}{' ' + a.place if a.place else ''}"
        )
        self.fields["questionnaire"].queryset = questionnaires
        self.fields["questionnaire"].empty_label = "不关联"
        self.fields["category"].choices = FindingCategory.choices
        self.fields["severity"].choices = Severity.choices
        bootstrap(self)


class FindingFilterForm(forms.Form):
    subject = forms.ModelChoiceField(
        label="评议对象", required=False, queryset=Subject.objects.none(), widget=FastSelect
    )
    category = forms.ChoiceField(
        label="问题类别",
        required=False,
        choices=[("", "全部类别"), *FindingCategory.choices],
        widget=FastSelect,
    )
    severity = forms.ChoiceField(
        label="严重程度",
        required=False,
        choices=[("", "全部"), *Severity.choices],
        widget=FastSelect,
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *FindingStatus.choices],
        widget=FastSelect,
    )

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].empty_label = "全部评议对象"
        bootstrap(self)

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤销理由", required=False, max_length=300)


SECTION_HELP = {
    "overview": "评议对象的基本情况、本组开展调查的方式和范围。",
    "achievements": "任职以来的主要工作和成绩。",
    "problems": "可点击“从问题清单填入”，按类别插入本对象的有效问题及编号，再修改润色。",
    "suggestions": "针对存在问题提出的意见和建议。",
}


class ReportForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    overview = forms.CharField(
        label="一、基本情况", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    achievements = forms.CharField(
        label="二、主要成绩", required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    problems = forms.CharField(
        label="三、存在的主要问题", required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    suggestions = forms.CharField(
        label="四、意见和建议", required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in SECTION_HELP.items():
            self.fields[name].help_text = text
        bootstrap(self)

    def sections(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in SECTION_HELP}


class ReportAttachmentForm(forms.Form):
    files = MultipleFileField(
        label="添加附件",
        help_text="PDF 或 Word（.docx），可多选；如调查问卷统计、座谈会纪要。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class HearForm(forms.Form):
    heard_on = forms.DateField(
        label="听取日期",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写听取日期。", "invalid": "请输入有效的日期。"},
    )
    session = forms.CharField(
        label="主任会议",
        max_length=100,
        error_messages={"required": "请填写听取报告的主任会议，如“第十五次主任会议”。"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"heard_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["session"].widget.attrs["placeholder"] = "如“第十五次主任会议”"
        bootstrap(self)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "退回时请写明修改意见。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
