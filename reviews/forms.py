"""Forms of the office's pages for preparing a review. They parse and check input only;
every change is made by a service in `reviews.services`."""

from django import forms
from django.conf import settings

from subjects.models import UnitCategory, User
from subjects.roles import Role

from .models import (
    LeadershipPosition,
    Review,
    ReviewKind,
    ReviewRules,
    SubjectForm,
)
from .workflow import Phase

DATE_WIDGET_ATTRS = {"type": "date"}
TIMETABLE_FIELDS = [field for pair in Review.PHASE_DATE_FIELDS.values() for field in pair]


def date_widget():
    # ISO format so that <input type="date"> shows a stored value; typed values come back as
    # typed when the form is re-rendered with errors (R23).
    return forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d")


def user_label(user) -> str:
    extra = user.position or user.organization
    return f"{user.full_name or user.username}（{extra}）" if extra else str(user)


def group_eligible_users():
    """Who may lead or sit in a working group: committee members, group members, the council."""
    roles = [Role.COMMITTEE_MEMBER, Role.GROUP_MEMBER, Role.COUNCIL]
    return (
        User.objects.filter(is_active=True, role_grants__role__in=roles)
        .distinct()
        .order_by("full_name", "username")
    )


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects the view has already loaded. Unlike ModelChoiceField it runs no
    query when rendered, so a formset of N rows does not cost N queries."""

    def __init__(self, *, objects=(), empty_label="请选择", label_from=str, **kwargs):
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [("", empty_label)]
        choices += [(key, label_from(obj)) for key, obj in self.objects.items()]
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid_choice", "所选项目不存在或已不可选。")
        super().__init__(choices=choices, **kwargs)

    def prepare_value(self, value):
        return str(value.pk) if hasattr(value, "pk") else value

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


class TimetableMixin:
    """Each phase ends no earlier than it starts, and the phases come in order. Phases may
    overlap (seed 001: 准备 in August, 初评 from 20 August), but none may start or end
    before the one before it."""

    def timetable_rows(self):
        """[(phase label, start field, end field)] for the template's grid."""
        return [
            (Phase(phase).label, self[start], self[end])
            for phase, (start, end) in Review.PHASE_DATE_FIELDS.items()
        ]

    def clean_timetable(self, cleaned: dict) -> None:
        earlier_label, earlier_start, earlier_end = None, None, None
        for phase, (start_field, end_field) in Review.PHASE_DATE_FIELDS.items():
            phase_label = Phase(phase).label
            start, end = cleaned.get(start_field), cleaned.get(end_field)
            if start and end and end < start:
                self.add_error(end_field, f"{phase_label}阶段的结束日期不能早于开始日期。")
            if earlier_label:
                if start and earlier_start and start < earlier_start:
                    self.add_error(
                        start_field,
                        f"{phase_label}阶段不能早于{earlier_label}阶段开始（{earlier_start:%Y-%m-%d}）。",
                    )
                if end and earlier_end and end < earlier_end:
                    self.add_error(
                        end_field,
                        f"{phase_label}阶段不能早于{earlier_label}阶段结束（{earlier_end:%Y-%m-%d}）。",
                    )
            earlier_label = phase_label
            earlier_start = start or earlier_start
            earlier_end = end or earlier_end


class ReviewCreateForm(TimetableMixin, forms.ModelForm):
    class Meta:
        model = Review
        fields = ["kind", "year", "title", "term", *TIMETABLE_FIELDS]
        widgets = {field: date_widget() for field in TIMETABLE_FIELDS}
        help_texts = {
            "title": "如“2025 年度县政府组成部门负责人述职评议”。",
            "kind": "述职评议的对象是被任命人员；工作评议、民主评议的对象是单位。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ReviewKind.choices

    def clean(self):
        cleaned = super().clean()
        self.clean_timetable(cleaned)
        return cleaned


class ReviewEditForm(TimetableMixin, forms.ModelForm):
    class Meta:
        model = Review
        fields = ["title", "term", *TIMETABLE_FIELDS]
        widgets = {field: date_widget() for field in TIMETABLE_FIELDS}

    def clean(self):
        cleaned = super().clean()
        self.clean_timetable(cleaned)
        return cleaned

    def changed_values(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


class PlanUploadForm(forms.Form):
    document = forms.FileField(
        label="实施方案文件",
        help_text=f"PDF 或 Word（.docx），不超过 {settings.PINGYI_MAX_UPLOAD_MB} MB。"
        "上传新文件后需重新提交领导小组审批。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )


class PlanDecisionForm(forms.Form):
    APPROVE, RETURN = "approve", "return"
    decision = forms.ChoiceField(
        label="审批结果",
        choices=[(APPROVE, "批准"), (RETURN, "退回修改")],
        widget=forms.HiddenInput,
        error_messages={"required": "请选择批准或退回。"},
    )
    comment = forms.CharField(
        label="审批意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="退回时必须写明修改意见；批准时可留空。",
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class LeadershipMemberForm(forms.Form):
    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"] = ObjectChoiceField(
            label="人员", objects=users, label_from=user_label, required=False
        )
        self.fields["position"] = forms.ChoiceField(
            label="职务", choices=LeadershipPosition.choices, initial=LeadershipPosition.MEMBER
        )
        self.fields["title"] = forms.CharField(
            label="本职", max_length=100, required=False, help_text=None
        )
        self.fields["title"].widget.attrs["placeholder"] = "如“常委会副主任”"
        self.order_fields(["user", "position", "title"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and not cleaned.get("DELETE") and cleaned.get("title"):
            self.add_error("user", "请选择人员，或清空本行。")
        return cleaned


LeadershipFormSet = forms.formset_factory(
    LeadershipMemberForm, extra=3, can_delete=True, max_num=60, validate_max=True
)


class WorkingGroupForm(forms.Form):
    name = forms.CharField(
        label="名称", max_length=50, help_text="如“第一评议工作组”“履职初评第二小组”。"
    )
    leader = forms.ModelChoiceField(
        label="组长",
        queryset=User.objects.none(),
        required=False,
        empty_label="暂不确定",
        help_text="组长一般由常委会领导担任。每个评议工作组都要确定组长才能进入调查阶段。",
    )
    members = forms.ModelMultipleChoiceField(
        label="成员",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = group_eligible_users()
        self.fields["leader"].queryset = users
        self.fields["members"].queryset = users
        self.fields["leader"].label_from_instance = user_label
        self.fields["members"].label_from_instance = user_label

    def clean(self):
        cleaned = super().clean()
        leader, members = cleaned.get("leader"), cleaned.get("members")
        if leader and members and leader in members:
            # The leader is listed apart; keeping them twice would count them twice.
            cleaned["members"] = [m for m in members if m != leader]
        return cleaned


class SubjectAssignmentForm(forms.Form):
    """One row per subject: its form (现场/书面述职) and its working group."""

    def __init__(self, *args, subjects=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.subjects = list(subjects)
        self.groups = {str(g.pk): g for g in groups}
        group_choices = [("", "未分组"), *((key, g.name) for key, g in self.groups.items())]
        for subject in self.subjects:
            self.fields[f"form_{subject.pk}"] = forms.ChoiceField(
                label=f"{subject.display_name}的述职形式",
                choices=SubjectForm.choices,
                initial=subject.form,
            )
            self.fields[f"group_{subject.pk}"] = forms.ChoiceField(
                label=f"{subject.display_name}的评议工作组",
                choices=group_choices,
                required=False,
                initial=str(subject.group_id or ""),
            )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def rows(self):
        for subject in self.subjects:
            yield subject, self[f"form_{subject.pk}"], self[f"group_{subject.pk}"]

    def changes(self) -> list[tuple]:
        """[(subject, form, group)] for the rows the user changed."""
        changed = []
        for subject in self.subjects:
            form = self.cleaned_data[f"form_{subject.pk}"]
            group = self.groups.get(self.cleaned_data[f"group_{subject.pk}"] or "")
            if form != subject.form or (group.pk if group else None) != subject.group_id:
                changed.append((subject, form, group))
        return changed


class DimensionForm(forms.Form):
    name = forms.CharField(label="评议内容", max_length=100)
    description = forms.CharField(label="说明", max_length=300, required=False)


DimensionFormSet = forms.formset_factory(
    DimensionForm, extra=2, can_delete=True, can_order=True, max_num=30, validate_max=True
)


class ReviewRulesForm(forms.ModelForm):
    class Meta:
        model = ReviewRules
        fields = [
            "satisfied_min_percent",
            "dissatisfied_over_percent",
            "grading_denominator",
            "allow_unknown",
            "plan_due_months",
            "report_due_months",
            "party_report_days",
            "min_group_size",
        ]

    def __init__(self, *args, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        if frozen:
            for field in self.fields.values():
                field.disabled = True

    def changed_values(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.fields}


class AnnouncementForm(forms.Form):
    announcement = forms.CharField(
        label="公示说明",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="公示页面上显示的实施方案摘要：评议目的、对象确定办法、方法步骤、联系方式等。",
    )


class OfficialFilterForm(forms.Form):
    """The office's filters for choosing officials (seed 001: 任现职满 3 年)."""

    min_years = forms.IntegerField(
        label="任现职满（年）",
        required=False,
        min_value=0,
        max_value=60,
        error_messages={
            "invalid": "请输入整数年数。",
            "min_value": "年数不能小于 0。",
            "max_value": "年数不能大于 60。",
        },
    )
    unit = forms.ChoiceField(label="单位", required=False)
    category = forms.ChoiceField(
        label="单位类别", required=False, choices=[("", "全部类别"), *UnitCategory.choices]
    )
    q = forms.CharField(label="关键词", required=False, max_length=50)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "全部单位"), *((str(u.pk), u.name) for u in units)]
        self.fields["min_years"].widget.attrs["placeholder"] = "如 3"
        self.fields["q"].widget.attrs["placeholder"] = "姓名或职务"

    def filters(self) -> dict:
        """Valid filters as keyword arguments of selectors.enrolment_candidates."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "min_years": data.get("min_years") or None,
            "unit_id": int(data["unit"]) if data.get("unit") else None,
            "category": data.get("category") or "",
            "q": (data.get("q") or "").strip(),
        }


class UnitFilterForm(forms.Form):
    category = forms.ChoiceField(
        label="单位类别", required=False, choices=[("", "全部类别"), *UnitCategory.choices]
    )
    q = forms.CharField(label="关键词", required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "单位名称"

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {
            "category": self.cleaned_data.get("category") or "",
            "q": (self.cleaned_data.get("q") or "").strip(),
        }


class EnrolForm(forms.Form):
    """The chosen candidates (checkboxes in the list) and what to apply to all of them."""

    chosen = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": "请至少勾选一项。",
            "invalid_choice": "所选对象已不在候选名单中（可能刚被确定为评议对象），请刷新后重试。",
            "invalid_pk_value": "所选对象无效，请刷新后重试。",
        },
    )
    form = forms.ChoiceField(
        label="述职形式",
        choices=SubjectForm.choices,
        widget=forms.RadioSelect,
        help_text="现场述职的对象在评议会议上当面述职并接受询问；书面述职的对象只提交书面报告。",
    )
    group = forms.ChoiceField(label="评议工作组", required=False)

    def __init__(self, *args, candidates, groups=(), default_form=SubjectForm.WRITTEN, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chosen"].queryset = candidates
        self.fields["form"].initial = default_form
        self.groups = {str(g.pk): g for g in groups}
        self.fields["group"].choices = [
            ("", "暂不分组"),
            *((key, g.name) for key, g in self.groups.items()),
        ]

    def clean_group(self):
        return self.groups.get(self.cleaned_data.get("group") or "")

    def chosen_ids(self) -> set[str]:
        """What the user ticked, kept across an error (R23)."""
        return set(self.data.getlist("chosen")) if self.is_bound else set()


class CoverageForm(forms.Form):
    term = forms.ChoiceField(label="届次", required=False)

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [(t, t) for t in terms]
