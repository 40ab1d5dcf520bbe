"""Forms of the meeting pages. Ballot and paper-count forms are built per poll."""

from django import forms

from .forms import ObjectChoiceField
from .models import Choice, VoterGroup

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class MeetingForm(forms.Form):
    session_name = forms.CharField(
        label="会议名称",
        max_length=100,
        help_text="如“县十八届人大常委会第十二次会议”。",
        error_messages={"required": "请填写会议名称。"},
    )
    starts_at = forms.DateTimeField(
        label="会议时间",
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": "请填写会议时间。",
            "invalid": "请按“年-月-日 时:分”填写会议时间。",
        },
    )
    place = forms.CharField(
        label="会议地点", max_length=100, error_messages={"required": "请填写会议地点。"}
    )


class CheckInForm(forms.Form):
    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = ObjectChoiceField(
            label="签到人员",
            objects=people,
            label_from=lambda u: f"{u.full_name or u.username}（{u.organization or '—'}）",
            error_messages={"required": "请选择签到人员。"},
        )


class InquiryForm(forms.Form):
    """A member's question from their phone; staff also choose who asked."""

    def __init__(self, *args, subjects=(), askers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if askers is not None:
            self.fields["asker"] = ObjectChoiceField(
                label="询问人",
                objects=askers,
                label_from=lambda u: u.full_name or u.username,
                error_messages={"required": "请选择询问人。"},
            )
        self.fields["subject"] = ObjectChoiceField(
            label="询问对象",
            objects=subjects,
            label_from=lambda s: f"{s.display_name}（{s.unit_name}{s.post}）",
            error_messages={"required": "请选择询问对象。"},
        )
        self.fields["question"] = forms.CharField(
            label="询问内容",
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={
                "required": "请填写询问内容。",
                "max_length": "询问内容请控制在 2000 字以内。",
            },
        )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="答复要点",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_promised = forms.BooleanField(label="承诺会后书面答复", required=False)


class VoterCodesForm(forms.Form):
    count = forms.IntegerField(
        label="投票码数量",
        min_value=1,
        max_value=500,
        error_messages={
            "required": "请填写要生成的投票码数量。",
            "min_value": "至少生成 1 个投票码。",
            "max_value": "一次最多生成 500 个投票码。",
            "invalid": "请填写整数。",
        },
    )


class CodeEntryForm(forms.Form):
    code = forms.CharField(
        label="投票码",
        max_length=20,
        error_messages={"required": "请输入投票码。"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


def choices_for(allow_unknown: bool) -> list[tuple[str, str]]:
    options = [Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED]
    if allow_unknown:
        options.append(Choice.UNKNOWN)
    return [(c.value, c.label) for c in options]


class BallotForm(forms.Form):
    """One field per subject of the poll, named item-<poll subject id>."""

    def __init__(self, *args, items=(), allow_unknown=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item-{item.pk}"] = forms.ChoiceField(
                label=item.subject.display_name,
                choices=choices_for(allow_unknown),
                widget=forms.RadioSelect,
                error_messages={
                    "required": "请选择。",
                    "invalid_choice": "请在给出的选项中选择。",
                },
            )

    def clean(self):
        cleaned = super().clean()
        missing = [item for item in self.items if not self.cleaned_data.get(f"item-{item.pk}")]
        if missing:
            raise forms.ValidationError(
                f"还有 {len(missing)} 位评议对象没有选择，请对每一位作出选择后再提交。"
            )
        return cleaned

    def rows(self):
        """(item, bound field, chosen label) for the ballot and the summary."""
        labels = dict(self.fields[f"item-{self.items[0].pk}"].choices) if self.items else {}
        for item in self.items:
            field = self[f"item-{item.pk}"]
            value = self.data.get(field.html_name) if self.is_bound else None
            yield item, field, labels.get(value, "")


class PaperForm(forms.Form):
    """Hand-counted paper ballots of one voter group (R6)."""

    group = forms.ChoiceField(label="投票群体", choices=VoterGroup.choices)
    issued = forms.IntegerField(label="发出票数", min_value=0, max_value=10000)
    returned = forms.IntegerField(label="收回票数", min_value=0, max_value=10000)
    invalid = forms.IntegerField(label="无效票数", min_value=0, max_value=10000, initial=0)
    blank = forms.IntegerField(label="空白票数", min_value=0, max_value=10000, initial=0)

    def __init__(self, *args, items=(), allow_unknown=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.options = choices_for(allow_unknown)
        for name in ("issued", "returned", "invalid", "blank"):
            self.fields[name].error_messages.update(
                {
                    "required": f"请填写{self.fields[name].label}。",
                    "min_value": f"{self.fields[name].label}不能为负数。",
                    "invalid": f"{self.fields[name].label}请填写整数。",
                }
            )
        for item in self.items:
            for value, label in self.options:
                self.fields[f"c-{item.pk}-{value}"] = forms.IntegerField(
                    label=f"{item.subject.display_name} {label}",
                    min_value=0,
                    max_value=10000,
                    required=False,
                    error_messages={
                        "min_value": "票数不能为负数。",
                        "invalid": "票数请填写整数。",
                    },
                )

    def grid(self):
        """(item, [bound fields in option order]) for the entry table."""
        for item in self.items:
            yield item, [self[f"c-{item.pk}-{value}"] for value, _ in self.options]

    def counts(self) -> dict[int, dict[str, int]]:
        return {
            item.pk: {
                value: self.cleaned_data.get(f"c-{item.pk}-{value}") or 0
                for value, _ in self.options
            }
            for item in self.items
        }
