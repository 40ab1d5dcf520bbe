from django import forms
from django.core.exceptions import ValidationError

from subjects.forms import user_label

from .distribution import active_deputies, parse_emails
from .invitations import MAX_BATCH

LABEL_FIELD = {
    "label": "批次名称",
    "max_length": 100,
    "error_messages": {"required": "请填写批次名称，如“县人大代表 120 名”。"},
}


class SlipsForm(forms.Form):
    label = forms.CharField(**LABEL_FIELD)
    count = forms.IntegerField(
        label="邀请条数量",
        min_value=1,
        max_value=MAX_BATCH,
        error_messages={
            "required": "请填写要生成的邀请条数量。",
            "invalid": "数量请填写整数。",
            "min_value": "数量至少为 1。",
            "max_value": f"一批最多 {MAX_BATCH} 张。",
        },
        help_text="每页 8 张，沿虚线裁开。",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "slips")
        super().__init__(*args, **kwargs)
        self.fields["label"].widget.attrs["placeholder"] = "如“县人大代表 120 名”"

    def clean_label(self):
        return self.cleaned_data["label"].strip()


class EmailForm(forms.Form):
    label = forms.CharField(**LABEL_FIELD)
    emails = forms.CharField(
        label="邮箱地址",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        error_messages={"required": "请填写邮箱地址，每行一个。"},
        help_text="每行一个邮箱地址；重复的地址只发一次。",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "email")
        super().__init__(*args, **kwargs)
        self.fields["label"].widget.attrs["placeholder"] = "如“服务对象代表”"

    def clean_label(self):
        return self.cleaned_data["label"].strip()

    def clean_emails(self):
        try:
            return parse_emails(self.cleaned_data["emails"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class AccountsForm(forms.Form):
    ALL, SELECTED = "all", "selected"
    label = forms.CharField(**LABEL_FIELD)
    scope = forms.ChoiceField(
        label="发给",
        choices=[(ALL, "全部人大代表账号"), (SELECTED, "选定的代表")],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    users = forms.ModelMultipleChoiceField(
        label="选定的代表",
        queryset=active_deputies(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选代表不存在或账号已停用。"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "accounts")
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = active_deputies()
        self.fields["users"].label_from_instance = user_label
        self.fields["label"].widget.attrs["placeholder"] = "如“县人大代表（有账号）”"

    def clean_label(self):
        return self.cleaned_data["label"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.SELECTED and not cleaned.get("users"):
            self.add_error("users", "请至少选择一位代表。")
        return cleaned

    def recipients(self):
        if self.cleaned_data["scope"] == self.ALL:
            return list(active_deputies())
        return list(self.cleaned_data["users"])


class PaperReceivedForm(forms.Form):
    paper_received = forms.IntegerField(
        label="收回纸质问卷份数",
        min_value=0,
        max_value=100000,
        error_messages={
            "required": "请填写收回的份数。",
            "invalid": "份数请填写整数。",
            "min_value": "份数不能小于 0。",
            "max_value": "份数过大，请核对。",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        attrs = self.fields["paper_received"].widget.attrs
        attrs.update({"inputmode": "numeric", "class": "w-auto"})
