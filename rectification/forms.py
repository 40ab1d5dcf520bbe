"""Forms of the opinion and document pages. They only parse input; every rule is in the
services (opinions.py, documents.py), whose refusals are shown on these forms (R23)."""

from django import forms
from django.utils import timezone

from subjects.forms import DATE_WIDGET

from .models import IssuingOrgan
from .opinions import DEFAULT_CC

TITLE_HELP = "标题可分两行书写，换行会保留到正式文件中。"


class OpinionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(
        label="标题",
        max_length=200,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=TITLE_HELP,
        error_messages={"required": "请填写标题。", "max_length": "标题不能超过 200 个字。"},
    )
    opening = forms.CharField(
        label="开头", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    overall = forms.CharField(
        label="评价内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="提请主任会议审议前须填写。",
    )
    overall_internal = forms.BooleanField(
        label="总体评价不公开",
        required=False,
        help_text="勾选后公开版本中不含这一部分。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    requirements = forms.CharField(
        label="要求内容", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def clean_title(self):
        # Keep the line break the writer chose (it is where the PDF breaks the title), drop
        # stray spaces and Windows line ends.
        lines = [line.strip() for line in self.cleaned_data["title"].splitlines()]
        title = "\n".join(line for line in lines if line)
        if not title:
            raise forms.ValidationError("请填写标题。")
        return title


class ClauseForm(forms.Form):
    text = forms.CharField(
        label="问题表述",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="第一句作为本条小标题（楷体）。留空的条目不保存。",
    )
    internal = forms.BooleanField(
        label="不公开",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    findings = forms.TypedMultipleChoiceField(
        label="对应问题清单",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "所选问题不属于该评议对象，请重新勾选。"},
    )

    def __init__(self, *args, finding_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Choices built once per page and shared: a queryset per clause form would cost a
        # query per clause.
        self.fields["findings"].choices = finding_choices


class BaseClauseFormSet(forms.BaseFormSet):
    def get_ordering_widget(self):
        return forms.NumberInput(attrs={"min": 1, "class": "form-control form-control-sm"})

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = "序号"
        form.fields["ORDER"].error_messages["invalid"] = "序号请填写整数。"
        form.fields["DELETE"].label = "删除此条"
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clauses(self) -> list[dict]:
        """The kept clauses in the order the writer gave (序号, then position)."""
        kept = []
        for position, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not (data.get("text") or "").strip():
                continue
            order = data.get("ORDER")
            kept.append(
                (
                    order if order is not None else 10_000 + position,
                    position,
                    {
                        "text": data["text"].strip(),
                        "internal": bool(data.get("internal")),
                        "findings": list(data.get("findings") or []),
                    },
                )
            )
        return [clause for _order, _position, clause in sorted(kept, key=lambda k: k[:2])]


ClauseFormSet = forms.formset_factory(
    ClauseForm, formset=BaseClauseFormSet, extra=1, can_order=True, can_delete=True
)


def finding_label(finding) -> str:
    label = f"{finding.code} 〔{finding.get_category_display()}〕{finding.description}"
    if finding.status != "active":
        label += "（已撤销）"
    return label


class IssueOpinionForm(forms.Form):
    signed_on = forms.DateField(
        label="成文日期",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写成文日期。", "invalid": "请输入有效的日期。"},
    )
    cc = forms.CharField(
        label="抄送",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="用中文逗号分隔。",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"signed_on": timezone.localdate(), "cc": DEFAULT_CC})
        super().__init__(*args, **kwargs)


class ApproveForm(forms.Form):
    session = forms.CharField(
        label="审议的主任会议",
        max_length=100,
        error_messages={"required": "请填写审议的主任会议，如“第三十二次主任会议”。"},
    )
    on = forms.DateField(
        label="会议日期",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写会议日期。", "invalid": "请输入有效的日期。"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["session"].widget.attrs["placeholder"] = "第三十二次主任会议"


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "退回时请写明修改意见。"},
    )


class DocumentForm(forms.Form):
    title = forms.CharField(
        label="标题",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=TITLE_HELP,
        error_messages={"required": "请填写标题。"},
    )
    organ = forms.ModelChoiceField(
        label="发文机关",
        queryset=IssuingOrgan.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": "所选发文机关不存在。"},
    )
    recipients = forms.CharField(label="主送", max_length=300, required=False)
    cc = forms.CharField(
        label="抄送", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    signed_on = forms.DateField(
        label="成文日期",
        required=False,
        widget=DATE_WIDGET,
        help_text="留空则在印发时填当天。",
        error_messages={"invalid": "请输入有效的日期。"},
    )
    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="每行一段。以“一、”开头的行为一级标题（黑体），以“（一）”开头的短行为二级标题"
        "（楷体）；单独一行“【表格】”表示保留原有的表格。",
        error_messages={"required": "正文不能为空。"},
    )

    def clean_title(self):
        lines = [line.strip() for line in self.cleaned_data["title"].splitlines()]
        return "\n".join(line for line in lines if line)


class DeliveryForm(forms.Form):
    delivered_on = forms.DateField(
        label="送达日期",
        widget=DATE_WIDGET,
        error_messages={"required": "请填写送达日期。", "invalid": "请输入有效的日期。"},
    )


class IssueDocumentForm(forms.Form):
    signed_on = forms.DateField(
        label="成文日期",
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": "请输入有效的日期。"},
    )


class OrganForm(forms.ModelForm):
    class Meta:
        model = IssuingOrgan
        fields = ["name", "header", "code", "signature", "printer", "is_default"]
        error_messages = {
            "code": {"unique": "该发文机关代字已被使用。"},
        }

    def _get_validation_exclusions(self):
        # save_organ moves the default flag from the previous default organ in the same
        # transaction, so "only one default" must not be checked against the old one here.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions
