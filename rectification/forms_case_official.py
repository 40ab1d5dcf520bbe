"""Forms of the official's 整改方案 and 整改报告 pages. They only parse input; the rules (what a
plan or report must contain before it is submitted) are in `cases.py`, whose refusals are shown
on these forms with everything typed kept (R23)."""

from django import forms

from subjects.forms import DATE_WIDGET

from .models import ItemStatus

FILE_HELP = "PDF 或 Word（.docx）文件。"


class PlanForm(forms.Form):
    summary = forms.CharField(
        label="总体安排",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="整改工作的总体安排、组织领导和进度要求。",
    )
    file = forms.FileField(
        label="整改方案正式文本（可选）",
        required=False,
        help_text=FILE_HELP + "重新上传将替换原文件。",
        error_messages={"empty": "上传的文件是空的。"},
    )


class PlanItemForm(forms.Form):
    """One item's 四定; prefixed with the item's id."""

    measures = forms.CharField(
        label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible = forms.CharField(
        label="责任人",
        required=False,
        max_length=100,
        error_messages={"max_length": "责任人不能超过 100 个字。"},
    )
    due_on = forms.DateField(
        label="完成时限",
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": "请输入有效的日期。"},
    )
    standard = forms.CharField(
        label="完成标准", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportForm(forms.Form):
    summary = forms.CharField(
        label="总体情况",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="整改工作的总体落实情况。提交时须填写。",
    )
    file = forms.FileField(
        label="整改落实情况报告正式文本",
        required=False,
        help_text=FILE_HELP + "提交时须已上传；重新上传将替换原文件。",
        error_messages={"empty": "上传的文件是空的。"},
    )


class ProgressForm(forms.Form):
    """One item's state in the report; prefixed with the item's id."""

    status = forms.ChoiceField(
        label="完成情况",
        choices=ItemStatus.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "请选择完成情况。",
            "invalid_choice": "请选择完成情况。",
        },
    )
    explanation = forms.CharField(
        label="情况说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="已采取的措施、取得的成效；未完成的说明原因和下一步安排。",
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="佐证材料",
        help_text=FILE_HELP,
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )
