"""The review pages: the role home pages, and the office's pages for preparing a review
(Phase 1 准备) with the leading group's plan approval.

Views are thin: they fetch through the permission-checking selectors (404 for what the user
may not see), parse a form, call one service of `reviews.services` and redirect (PRG), or
re-render the form with the service's refusal and everything the user typed (R23).
"""

from copy import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subjects.access import roles_required
from subjects.files import serve_private
from subjects.forms import active_users, errors_into_form, report_refusal
from subjects.models import Unit, category_rank
from subjects.roles import Role, has_role
from subjects.selectors import recent_decisions

from . import services, workflow
from .forms import (
    AnnouncementForm,
    CoverageForm,
    DimensionFormSet,
    EnrolForm,
    LeadershipFormSet,
    OfficialFilterForm,
    PlanDecisionForm,
    PlanUploadForm,
    ReviewCreateForm,
    ReviewEditForm,
    ReviewRulesForm,
    SubjectAssignmentForm,
    UnitFilterForm,
    WorkingGroupForm,
)
from .meeting_selectors import attendee_meetings
from .models import ReviewKind, SubjectForm, WorkingGroup
from .selectors import (
    enrolment_candidates,
    facts_of,
    get_review_for_user,
    groups_for_member,
    groups_of,
    known_terms,
    leadership_of,
    review_facts,
    reviews_with_facts,
    subjects_of,
    term_coverage,
    unit_candidates,
    visible_reviews,
)
from .workflow import ORDER, Phase, PlanStatus

# --- Home pages ------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def office_home(request):
    reviews = [
        (review, workflow.blockers(facts_of(review)))
        for review in reviews_with_facts().exclude(phase=Phase.ARCHIVED)
    ]
    return render(
        request,
        "reviews/home_office.html",
        {"reviews": reviews, "recent_events": recent_decisions()},
    )


@roles_required(Role.COUNCIL)
@require_GET
def council_home(request):
    from rectification.selectors import pending_opinions
    from surveys.selectors_investigation import pending_reports

    pending = visible_reviews(request.user).filter(plan_status=PlanStatus.SUBMITTED)
    return render(
        request,
        "reviews/home_council.html",
        {
            "pending_plans": list(pending.order_by("-year", "-id")),
            "pending_reports": list(pending_reports()),
            "pending_opinions": list(pending_opinions()),
        },
    )


@roles_required(Role.GROUP_MEMBER)
@require_GET
def group_home(request):
    return render(
        request, "reviews/home_group.html", {"groups": list(groups_for_member(request.user))}
    )


@roles_required(Role.COMMITTEE_MEMBER, Role.DEPUTY)
@require_GET
def member_home(request):
    return render(
        request, "reviews/home_member.html", {"meetings": attendee_meetings(request.user)}
    )


# --- Helpers ---------------------------------------------------------------------------------


def _detail(review, anchor: str = ""):
    url = reverse("reviews:detail", args=[review.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _review_step(request, pk, step, *, success: str, then: str):
    """A one-button POST step on a review: run the service, report the outcome, go back."""
    review = _office_review(request, pk)
    try:
        step(actor=request.user, review=review)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, success)
    return redirect(then, pk=review.pk)


def _steps(review) -> list[dict]:
    """The five phases for the step indicator, with their dates."""
    current = ORDER.index(review.phase)
    dates = dict(review.PHASE_DATE_FIELDS)
    steps = []
    for index, phase in enumerate(ORDER):
        start_field, end_field = dates.get(phase, (None, None))
        steps.append(
            {
                "number": index + 1,
                "label": Phase(phase).label,
                "done": index < current,
                "current": index == current,
                "starts_on": getattr(review, start_field) if start_field else None,
                "ends_on": getattr(review, end_field) if end_field else None,
            }
        )
    return steps


# Which section of the dashboard fixes each blocker of workflow.blockers(); the first
# matching fragment wins, so the more specific ones come first.
BLOCKER_SECTIONS = (
    ("实施方案", "reviews:plan", "plan"),
    ("领导小组", "reviews:leadership", "leadership"),
    ("时间安排", "reviews:edit", "basics"),
    ("评议对象尚未分配", "reviews:subjects", "subjects"),
    ("尚未确定评议对象", "reviews:enrol", "subjects"),
    ("评议工作组尚未确定组长", None, "groups"),
    ("评议内容", "reviews:dimensions", "dimensions"),
)


def blocker_links(review, reasons: list[str]) -> list[dict]:
    links = []
    for reason in reasons:
        url = ""
        for fragment, url_name, anchor in BLOCKER_SECTIONS:
            if fragment in reason:
                url = (
                    reverse(url_name, args=[review.pk])
                    if url_name
                    else reverse("reviews:detail", args=[review.pk]) + f"#{anchor}"
                )
                break
        links.append({"reason": reason, "url": url})
    return links


def _movers_label(phase: str) -> str:
    roles = workflow.MOVERS.get(phase, frozenset())
    return "、".join(Role(role).label for role in sorted(roles))


def _numeral(n: int) -> str:
    """1 → 一 … 10 → 十 for default names such as 第一评议工作组; Arabic beyond that."""
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def _office_review(request, pk):
    return get_review_for_user(request.user, pk)


# --- Reviews: list, create, dashboard -------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def review_list(request):
    reviews = [(review, workflow.blockers(facts_of(review))) for review in reviews_with_facts()]
    return render(request, "reviews/review_list.html", {"reviews": reviews})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def review_create(request):
    if request.method == "POST":
        form = ReviewCreateForm(request.POST)
        if form.is_valid():
            try:
                review = services.create_review(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"已创建评议活动“{review.title}”。")
                return _detail(review)
    else:
        terms = known_terms()
        form = ReviewCreateForm(
            initial={
                "kind": ReviewKind.DUTY,
                "year": timezone.localdate().year,
                "term": terms[0] if terms else "",
            }
        )
    return render(request, "reviews/review_form.html", {"form": form})


DASHBOARD_SUBJECTS = 30


@roles_required(Role.OFFICE, Role.COUNCIL, Role.GROUP_MEMBER)
@require_GET
def review_detail(request, pk):
    review = get_review_for_user(request.user, pk)
    is_office = has_role(request.user, Role.OFFICE)
    facts = review_facts(review)
    reasons = workflow.blockers(facts)
    target = workflow.next_phase(review.phase)
    # The dashboard lists the first subjects; a review of hundreds shows them all on request,
    # so the everyday page costs the same whatever the size of the review.
    show_all = request.GET.get("all") == "1"
    subjects = subjects_of(review)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "rules": review.rules,
            "is_office": is_office,
            "is_council": has_role(request.user, Role.COUNCIL),
            "can_edit": is_office and workflow.can_edit_setup(review.phase),
            "can_remove_subjects": is_office and review.phase == Phase.PREPARE,
            "steps": _steps(review),
            "blockers": blocker_links(review, reasons),
            "next_phase": Phase(target).label if target else "",
            "movers": _movers_label(review.phase),
            "subjects": list(subjects if show_all else subjects[:DASHBOARD_SUBJECTS]),
            "subject_total": facts.subject_count,
            "groups": list(groups_of(review)),
            "leadership": list(leadership_of(review)),
            "dimensions": list(review.dimensions.all()),
            "plan_decided_by": review.plan_decided_by if review.plan_decided_by_id else None,
            "public_url": reverse("reviews:public_review", args=[review.pk]),
            "meetings": list(review.meetings.order_by("-starts_at", "-id")),
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def review_advance(request, pk):
    review = _office_review(request, pk)
    try:
        review = services.advance_phase(actor=request.user, review=review)
    except ValidationError as error:
        reasons = "；".join(message.rstrip("。") for message in error.messages)
        messages.error(request, f"暂时不能推进到下一阶段：{reasons}。")
    else:
        messages.success(request, f"评议活动已进入“{review.get_phase_display()}”阶段。")
    return _detail(review)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def review_edit(request, pk):
    review = _office_review(request, pk)
    if request.method == "POST":
        # A copy: the form writes the typed values onto its instance, and the page around
        # the form (title, breadcrumbs) must keep showing what is saved.
        form = ReviewEditForm(request.POST, instance=copy(review))
        if form.is_valid():
            try:
                services.update_review(
                    actor=request.user, review=review, data=form.changed_values()
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "基本信息和时间安排已保存。")
                return _detail(review, "basics")
    else:
        form = ReviewEditForm(instance=review)
    return render(request, "reviews/review_edit.html", {"review": review, "form": form})


# --- 实施方案 and its approval -----------------------------------------------------------------


def _plan_page(request, review, *, upload_form=None, decision_form=None, status=200):
    is_office = has_role(request.user, Role.OFFICE)
    is_council = has_role(request.user, Role.COUNCIL)
    return render(
        request,
        "reviews/plan.html",
        {
            "review": review,
            "is_office": is_office,
            "is_council": is_council,
            "can_upload": is_office
            and workflow.can_edit_setup(review.phase)
            and review.plan_status != PlanStatus.SUBMITTED,
            "can_submit": is_office
            and workflow.can_submit_plan(review.plan_status, bool(review.plan_document)),
            "can_decide": is_council and workflow.can_approve_plan(review.plan_status),
            "upload_form": upload_form or PlanUploadForm(),
            "decision_form": decision_form or PlanDecisionForm(),
            "plan_decided_by": review.plan_decided_by if review.plan_decided_by_id else None,
        },
        status=status,
    )


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def plan(request, pk):
    return _plan_page(request, get_review_for_user(request.user, pk))


@roles_required(Role.OFFICE)
@require_POST
def plan_upload(request, pk):
    review = _office_review(request, pk)
    form = PlanUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.upload_plan(
                actor=request.user, review=review, uploaded=form.cleaned_data["document"]
            )
        except ValidationError as error:
            form.add_error("document", error.messages)
        else:
            messages.success(request, "实施方案已上传。确认无误后请提交领导小组审批。")
            return redirect("reviews:plan", pk=review.pk)
    return _plan_page(request, review, upload_form=form)


@roles_required(Role.OFFICE)
@require_POST
def plan_submit(request, pk):
    return _review_step(
        request,
        pk,
        services.submit_plan,
        success="实施方案已提交领导小组审批，领导小组成员会收到通知。",
        then="reviews:plan",
    )


@roles_required(Role.COUNCIL)
@require_POST
def plan_decide(request, pk):
    review = get_review_for_user(request.user, pk)
    form = PlanDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_plan(
                actor=request.user,
                review=review,
                approve=form.approve,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            verb = "批准" if form.approve else "退回"
            messages.success(request, f"已{verb}实施方案，评议办会收到通知。")
            return redirect("reviews:plan", pk=review.pk)
    return _plan_page(request, review, decision_form=form)


@roles_required(Role.OFFICE, Role.COUNCIL)
@require_GET
def plan_download(request, pk):
    review = get_review_for_user(request.user, pk)
    if not review.plan_document:
        raise Http404
    return serve_private(review.plan_document, review.plan_document_name)


# --- 领导小组 ----------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def leadership(request, pk):
    review = _office_review(request, pk)
    users = list(active_users())
    if request.method == "POST":
        formset = LeadershipFormSet(request.POST, form_kwargs={"users": users})
        if formset.is_valid():
            members = [
                (f.cleaned_data["user"], f.cleaned_data["position"], f.cleaned_data["title"])
                for f in formset.forms
                if f.cleaned_data.get("user") and not f.cleaned_data.get("DELETE")
            ]
            try:
                services.save_leadership(actor=request.user, review=review, members=members)
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
            else:
                messages.success(request, "领导小组已保存。")
                return _detail(review, "leadership")
    else:
        initial = [
            {"user": str(m.user_id), "position": m.position, "title": m.title}
            for m in leadership_of(review)
        ]
        formset = LeadershipFormSet(initial=initial, form_kwargs={"users": users})
    return render(request, "reviews/leadership.html", {"review": review, "formset": formset})


# --- 评议工作组 --------------------------------------------------------------------------------


def _group_of(review, group_pk) -> WorkingGroup:
    return get_object_or_404(WorkingGroup, pk=group_pk, review=review)


def _save_group(request, review, group):
    if request.method == "POST":
        form = WorkingGroupForm(request.POST)
        if form.is_valid():
            try:
                services.save_group(
                    actor=request.user,
                    review=review,
                    group=group,
                    name=form.cleaned_data["name"],
                    leader=form.cleaned_data["leader"],
                    members=form.cleaned_data["members"],
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, f"评议工作组“{form.cleaned_data['name']}”已保存。")
                return _detail(review, "groups")
    elif group is not None:
        form = WorkingGroupForm(
            initial={
                "name": group.name,
                "leader": group.leader_id,
                "members": list(group.members.values_list("pk", flat=True)),
            }
        )
    else:
        form = WorkingGroupForm(
            initial={"name": f"第{_numeral(review.groups.count() + 1)}评议工作组"}
        )
    return render(
        request, "reviews/group_form.html", {"review": review, "group": group, "form": form}
    )


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def group_create(request, pk):
    return _save_group(request, _office_review(request, pk), None)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def group_edit(request, pk, group_pk):
    review = _office_review(request, pk)
    return _save_group(request, review, _group_of(review, group_pk))


@roles_required(Role.OFFICE)
@require_POST
def group_delete(request, pk, group_pk):
    review = _office_review(request, pk)
    group = _group_of(review, group_pk)
    name = group.name
    try:
        services.delete_group(actor=request.user, group=group)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已删除评议工作组“{name}”，原属该组的评议对象需要重新分组。")
    return _detail(review, "groups")


# --- 评议对象 ----------------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def subjects(request, pk):
    """Every subject's form and group on one page, saved together."""
    review = _office_review(request, pk)
    rows = list(subjects_of(review))
    groups = list(WorkingGroup.objects.filter(review=review))
    form = SubjectAssignmentForm(
        request.POST if request.method == "POST" else None, subjects=rows, groups=groups
    )
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            # All rows or none: a refusal half-way must not leave half the table saved.
            with transaction.atomic():
                for subject, subject_form, group in changes:
                    services.update_subject(
                        actor=request.user, subject=subject, form=subject_form, group=group
                    )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(
                request,
                f"已调整 {len(changes)} 个评议对象。" if changes else "没有需要保存的修改。",
            )
            return _detail(review, "subjects")
    return render(
        request,
        "reviews/subjects.html",
        {
            "review": review,
            "form": form,
            "can_remove": review.phase == Phase.PREPARE,
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def subject_remove(request, pk, subject_pk):
    review = _office_review(request, pk)
    subject = get_object_or_404(review.subjects.all(), pk=subject_pk)
    name = subject.display_name
    try:
        services.remove_subject(actor=request.user, subject=subject)
    except ValidationError as error:
        report_refusal(request, error)
    else:
        messages.success(request, f"已将“{name}”移出评议对象。")
    return redirect("reviews:subjects", pk=review.pk)


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def enrol(request, pk):
    """Choose subjects: officials for 述职评议, units for 工作评议 / 民主评议. The filters live in
    the query string, which the POST keeps, so they survive an error (R23)."""
    review = _office_review(request, pk)
    groups = list(WorkingGroup.objects.filter(review=review))
    by_official = review.kind == ReviewKind.DUTY
    if by_official:
        units = list(Unit.objects.filter(is_active=True).order_by(category_rank(), "name"))
        filter_form = OfficialFilterForm(request.GET or None, units=units)
        candidates = enrolment_candidates(review)
        shown = enrolment_candidates(review, **filter_form.filters())
        default_form = SubjectForm.WRITTEN
    else:
        filter_form = UnitFilterForm(request.GET or None)
        candidates = unit_candidates(review)
        shown = unit_candidates(review, **filter_form.filters())
        default_form = SubjectForm.ONSITE
    form_kwargs = {"candidates": candidates, "groups": groups, "default_form": default_form}
    if request.method == "POST":
        form = EnrolForm(request.POST, **form_kwargs)
        if form.is_valid():
            chosen = form.cleaned_data["chosen"]
            enrol_step = services.enrol_officials if by_official else services.enrol_units
            chosen_kwarg = "officials" if by_official else "units"
            try:
                created = enrol_step(
                    actor=request.user,
                    review=review,
                    form=form.cleaned_data["form"],
                    group=form.cleaned_data["group"],
                    **{chosen_kwarg: chosen},
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                noun = "名评议对象" if by_official else "个评议单位"
                messages.success(request, f"已确定 {len(created)} {noun}。")
                url = reverse("reviews:enrol", args=[review.pk])
                query = request.GET.urlencode()
                return redirect(f"{url}?{query}" if query else url)
    else:
        form = EnrolForm(**form_kwargs)
    return render(
        request,
        "reviews/enrol.html",
        {
            "review": review,
            "by_official": by_official,
            "filter_form": filter_form,
            "form": form,
            "candidates": list(shown),
            "chosen_ids": form.chosen_ids(),
            "query": request.GET.urlencode(),
            "can_edit": workflow.can_edit_setup(review.phase),
        },
    )


# --- 评议内容, 评议规则, 公示 ---------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def dimensions(request, pk):
    review = _office_review(request, pk)
    if request.method == "POST":
        formset = DimensionFormSet(request.POST)
        if formset.is_valid():
            items = [
                (f.cleaned_data["name"], f.cleaned_data.get("description", ""))
                for f in formset.ordered_forms
                if f.cleaned_data.get("name")
            ]
            try:
                services.save_dimensions(actor=request.user, review=review, items=items)
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
            else:
                messages.success(request, "评议内容已保存。")
                return _detail(review, "dimensions")
    else:
        formset = DimensionFormSet(
            initial=[
                {"name": d.name, "description": d.description, "ORDER": i + 1}
                for i, d in enumerate(review.dimensions.all())
            ]
        )
    return render(request, "reviews/dimensions.html", {"review": review, "formset": formset})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def rules(request, pk):
    review = _office_review(request, pk)
    frozen = review.rules_frozen_at is not None
    if request.method == "POST" and not frozen:
        form = ReviewRulesForm(request.POST, instance=review.rules)
        if form.is_valid():
            try:
                services.update_rules(actor=request.user, review=review, data=form.changed_values())
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "评议规则已保存。")
                return _detail(review, "rules")
    else:
        if request.method == "POST":
            messages.error(request, "评议会议已开始，规则已锁定，不能再修改。")
        form = ReviewRulesForm(instance=review.rules, frozen=frozen)
    return render(request, "reviews/rules.html", {"review": review, "form": form, "frozen": frozen})


@roles_required(Role.OFFICE)
@require_http_methods(["GET", "POST"])
def announcement(request, pk):
    review = _office_review(request, pk)
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            try:
                services.update_review(
                    actor=request.user,
                    review=review,
                    data={"announcement": form.cleaned_data["announcement"]},
                )
            except ValidationError as error:
                errors_into_form(form, error)
            else:
                messages.success(request, "公示说明已保存。")
                return redirect("reviews:announcement", pk=review.pk)
    else:
        form = AnnouncementForm(initial={"announcement": review.announcement})
    return render(
        request,
        "reviews/announcement.html",
        {
            "review": review,
            "form": form,
            "can_edit": workflow.can_edit_setup(review.phase),
            "public_url": reverse("reviews:public_review", args=[review.pk]),
        },
    )


@roles_required(Role.OFFICE)
@require_POST
def publish(request, pk):
    return _review_step(
        request,
        pk,
        services.publish_announcement,
        success="已发布公示，公众无需登录即可查看公示页面。",
        then="reviews:announcement",
    )


@roles_required(Role.OFFICE)
@require_POST
def withdraw(request, pk):
    return _review_step(
        request,
        pk,
        services.withdraw_announcement,
        success="已撤回公示，公示页面不再对外显示。",
        then="reviews:announcement",
    )


# --- 本届评议覆盖情况 -----------------------------------------------------------------------------


@roles_required(Role.OFFICE)
@require_GET
def coverage(request):
    terms = known_terms()
    form = CoverageForm(request.GET or None, terms=terms)
    term = ""
    if form.is_bound and form.is_valid():
        term = form.cleaned_data["term"]
    if not term and terms:
        term = terms[0]
        form = CoverageForm(initial={"term": term}, terms=terms)
    report = term_coverage(term) if term else None
    units = []
    if report:
        by_unit: dict = {}
        for official in report["reviewed"] + report["not_reviewed"]:
            entry = by_unit.setdefault(
                official.unit_id,
                {"unit": official.unit, "reviewed": [], "not_reviewed": [], "total": 0},
            )
            entry["reviewed" if official.reviewed else "not_reviewed"].append(official)
            entry["total"] += 1
        units = sorted(
            by_unit.values(), key=lambda e: (e["unit"].category, e["unit"].name, e["unit"].pk)
        )
    return render(
        request,
        "reviews/coverage.html",
        {"form": form, "term": term, "report": report, "units": units},
    )
