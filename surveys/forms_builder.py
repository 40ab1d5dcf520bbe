"""Forms of the office's questionnaire builder. They only parse input; the rules live in
`surveys.builder`."""

from django import forms
from django.utils import timezone

from reviews.models import Dimension, Subject
from subjects.widgets import FastSelect, bootstrap

from .builder import parse_options
from .models import Audience, QuestionKind, Section

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label="问卷名称", max_length=200)
    intro = forms.CharField(
        label="问卷说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="显示在问卷开头，例如填写目的、匿名承诺和截止时间。",
    )
    audience = forms.ChoiceField(label="调查对象", choices=Audience.choices, widget=FastSelect)
    opens_at = forms.DateTimeField(
        label="开始时间", widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    closes_at = forms.DateTimeField(
        label="截止时间", widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    open_link = forms.BooleanField(
        label="开放链接（允许任何人通过公开链接或二维码填写，面向社会公众）", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @classmethod
    def initial_for(cls, questionnaire=None) -> dict:
        if questionnaire is None:
            start = timezone.localtime().replace(minute=0, second=0, microsecond=0)
            return {
                "audience": Audience.DEPUTIES,
                "opens_at": start + timezone.timedelta(hours=1),
                "closes_at": start + timezone.timedelta(days=14, hours=1),
            }
        return {
            name: getattr(questionnaire, name)
            if not name.endswith("_at")
            else timezone.localtime(getattr(questionnaire, name))
            for name in ("title", "intro", "audience", "opens_at", "closes_at", "open_link")
        }

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "截止时间必须晚于开始时间。")
        return cleaned


class SectionForm(forms.Form):
    title = forms.CharField(label="部分标题", max_length=100)
    description = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class QuestionForm(forms.Form):
    """One form for every kind; only the fields of the chosen kind are shown and kept."""

    section = forms.ModelChoiceField(
        label="所在部分", queryset=Section.objects.none(), empty_label=None, widget=FastSelect
    )
    text = forms.CharField(label="题目", max_length=300)
    help_text = forms.CharField(label="填写提示", max_length=300, required=False)
    required = forms.BooleanField(label="必答", required=False, initial=True)
    options = forms.CharField(
        label="选项（每行一个）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    allow_unknown = forms.BooleanField(label="设“不了解”选项", required=False)
    subject = forms.ModelChoiceField(
        label="针对的评议对象（可不选）",
        queryset=Subject.objects.none(),
        required=False,
        empty_label="不针对具体评议对象",
        widget=FastSelect,
    )
    subjects = forms.ModelMultipleChoiceField(
        label="矩阵中的评议对象（行）",
        queryset=Subject.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    dimensions = forms.ModelMultipleChoiceField(
        label="矩阵中的评议内容（列；都不选则只有一列“总体评价”）",
        queryset=Dimension.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    FIELDS_BY_KIND = {
        QuestionKind.SATISFACTION: ("allow_unknown", "subject"),
        QuestionKind.SINGLE: ("options",),
        QuestionKind.MULTIPLE: ("options",),
        QuestionKind.SCORE: ("subject",),
        QuestionKind.TEXT: ("subject",),
        QuestionKind.MATRIX: ("allow_unknown", "subjects", "dimensions"),
    }
    COMMON = ("section", "text", "help_text", "required")

    def __init__(self, *args, kind: str, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        review_id = questionnaire.review_id
        self.fields["section"].queryset = Section.objects.filter(questionnaire=questionnaire)
        subjects = Subject.objects.filter(review_id=review_id).order_by("form", "order", "id")
        self.fields["subject"].queryset = subjects
        self.fields["subjects"].queryset = subjects
        self.fields["dimensions"].queryset = Dimension.objects.filter(review_id=review_id)
        keep = set(self.COMMON) | set(self.FIELDS_BY_KIND[kind])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            self.fields["options"].required = True
        bootstrap(self)
        for name in ("subjects", "dimensions", "required", "allow_unknown"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-check-input"

    @property
    def kind_label(self) -> str:
        return QuestionKind(self.kind).label

    def clean_options(self):
        return parse_options(self.cleaned_data.get("options", ""))

    def clean(self):
        cleaned = super().clean()
        if self.kind == QuestionKind.MATRIX and "subjects" in cleaned and not cleaned["subjects"]:
            self.add_error("subjects", "矩阵题至少要选一个评议对象。")
        return cleaned

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if "subjects" in data:
            data["subjects"] = list(data["subjects"])
        if "dimensions" in data:
            data["dimensions"] = list(data["dimensions"])
        return data

    @staticmethod
    def initial_for(question) -> dict:
        initial = {
            "section": question.section_id,
            "text": question.text,
            "help_text": question.help_text,
            "required": question.required,
            "options": "\n".join(question.options or []),
            "allow_unknown": question.allow_unknown,
            "subject": question.subject_id,
        }
        if question.kind == QuestionKind.MATRIX:
            initial["subjects"] = [s.pk for s in question.subjects.all()]
            initial["dimensions"] = [d.pk for d in question.dimensions.all()]
        return initial
