"""Forms of the 述职报告 pages. Rules live in surveys.duty_reports; these only parse."""

from django import forms

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DeadlineForm(forms.Form):
    due_at = forms.DateTimeField(
        label="提交截止时间",
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": "请填写截止时间，或选择一个按会议日期推算的时间。",
            "invalid": "请按“年-月-日 时:分”填写截止时间。",
        },
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="述职报告文件",
        help_text="PDF 或 Word（.docx）文档。",
        error_messages={
            "required": "请选择要上传的述职报告文件。",
            "empty": "上传的文件是空的。",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写退回意见，说明需要修改的地方。"},
    )


class DistributeForm(forms.Form):
    confirm = forms.BooleanField(label="确认只印发已接收的报告", required=False)
