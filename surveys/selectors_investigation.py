"""Read queries and permission-checking fetchers of the investigation pages (activities, the
问题清单, 调查报告). A working-group member sees only their own groups' subjects and records;
the office and the chairpersons' council see everything. What a user may not see is a 404,
so that its existence is not leaked (R10). Each list runs a fixed number of queries."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from reviews.models import Review, Subject, WorkingGroup
from reviews.selectors import get_review_for_user
from subjects.roles import Role, has_role

from .models import (
    Activity,
    ActivityAttachment,
    Finding,
    FindingCategory,
    FindingStatus,
    InvestigationReport,
    Questionnaire,
    ReportStatus,
)


def sees_all(user) -> bool:
    """The office and the council see every group's records."""
    return has_role(user, Role.OFFICE, Role.COUNCIL)


def groups_of_user(user, review: Review) -> QuerySet[WorkingGroup]:
    """The groups of a review whose records the user may see (all for office/council)."""
    groups = WorkingGroup.objects.filter(review=review)
    if not sees_all(user):
        groups = groups.filter(Q(leader=user) | Q(members=user)).distinct()
    return groups.order_by("order", "id")


def own_group_ids(user, review_id: int) -> set[int]:
    """The groups of a review the user leads or sits in (whatever their other roles)."""
    return set(
        WorkingGroup.objects.filter(review_id=review_id)
        .filter(Q(leader=user) | Q(members=user))
        .values_list("id", flat=True)
    )


def writable_group_ids(user, review_id: int) -> set[int] | None:
    """Groups whose records the user may change; None means every group (the office)."""
    if has_role(user, Role.OFFICE):
        return None
    if has_role(user, Role.GROUP_MEMBER):
        return own_group_ids(user, review_id)
    return set()


def can_write_group(user, review_id: int, group_id: int | None) -> bool:
    ids = writable_group_ids(user, review_id)
    return ids is None or (group_id is not None and group_id in ids)


def _may_see_group(user, review_id: int, group_id: int | None) -> bool:
    if sees_all(user):
        return True
    return has_role(user, Role.GROUP_MEMBER) and group_id in own_group_ids(user, review_id)


def get_investigation_review(user, pk: int) -> Review:
    return get_review_for_user(user, pk)


def _group_filter(user, review: Review, field: str) -> Q:
    if sees_all(user):
        return Q()
    # A subquery, not a join: no duplicate rows and no extra query.
    own = WorkingGroup.objects.filter(review=review).filter(Q(leader=user) | Q(members=user))
    return Q(**{f"{field}__in": own.values("id")})


def subjects_for_user(user, review: Review) -> QuerySet[Subject]:
    return (
        Subject.objects.filter(review=review)
        .filter(_group_filter(user, review, "group"))
        .select_related("group")
        .order_by("group__order", "group_id", "order", "id")
    )


def _visible_subjects(user) -> QuerySet[Subject]:
    subjects = Subject.objects.select_related("review", "group")
    if sees_all(user):
        return subjects
    if not has_role(user, Role.GROUP_MEMBER):
        return subjects.none()
    return subjects.filter(Q(group__leader=user) | Q(group__members=user)).distinct()


def get_subject_for_user(user, pk: int) -> Subject:
    subject = _visible_subjects(user).filter(pk=pk).first()
    if subject is None:
        raise Http404
    return subject


# --- activities ------------------------------------------------------------------------------


def activities_for_user(
    user, review: Review, *, subject=None, kind: str = "", group=None
) -> QuerySet[Activity]:
    activities = Activity.objects.filter(review=review).filter(_group_filter(user, review, "group"))
    if subject is not None:
        activities = activities.filter(subjects=subject)
    if kind:
        activities = activities.filter(kind=kind)
    if group is not None:
        activities = activities.filter(group=group)
    return (
        activities.select_related("group", "created_by")
        .prefetch_related(
            Prefetch("subjects", queryset=Subject.objects.only("id", "display_name", "order"))
        )
        .annotate(attachment_count=Count("attachments", distinct=True))
        .order_by("-held_on", "-id")
    )


def get_activity_for_user(user, pk: int) -> Activity:
    activity = (
        Activity.objects.select_related("review", "group", "created_by").filter(pk=pk).first()
    )
    if activity is None:
        raise Http404
    if not _may_see_group(user, activity.review_id, activity.group_id):
        raise Http404
    return activity


def attachments_of(activity: Activity) -> list[ActivityAttachment]:
    return list(activity.attachments.select_related("uploaded_by"))


def activity_choices_for(subject: Subject) -> QuerySet[Activity]:
    """The activities a finding about `subject` may cite: its group's, in its review."""
    return Activity.objects.filter(review_id=subject.review_id, group_id=subject.group_id).order_by(
        "-held_on", "-id"
    )


def questionnaire_choices_for(review: Review) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(review=review).order_by("-opens_at", "-id")


# --- findings --------------------------------------------------------------------------------


def findings_for_user(
    user,
    review: Review,
    *,
    subject=None,
    category: str = "",
    severity: str = "",
    status: str = "",
) -> QuerySet[Finding]:
    findings = Finding.objects.filter(review=review).filter(
        _group_filter(user, review, "subject__group")
    )
    if subject is not None:
        findings = findings.filter(subject=subject)
    if category:
        findings = findings.filter(category=category)
    if severity:
        findings = findings.filter(severity=severity)
    if status:
        findings = findings.filter(status=status)
    return findings.select_related(
        "review", "subject", "subject__group", "activity", "questionnaire", "created_by"
    ).order_by("number")


def finding_counts(findings: QuerySet[Finding]) -> dict:
    """Active findings per subject and per category of an (unfiltered by status) queryset:
    two GROUP BY queries."""
    active = findings.filter(status=FindingStatus.ACTIVE).order_by()
    per_subject = list(
        active.values("subject_id", "subject__display_name", "subject__order")
        .annotate(n=Count("id"))
        .order_by("subject__order", "subject_id")
    )
    per_category_raw = dict(active.values_list("category").annotate(n=Count("id")))
    per_category = [
        (value, label, per_category_raw.get(value, 0))
        for value, label in FindingCategory.choices
        if per_category_raw.get(value)
    ]
    return {
        "per_subject": per_subject,
        "per_category": per_category,
        "total": sum(row["n"] for row in per_subject),
    }


def get_finding_for_user(user, pk: int) -> Finding:
    finding = (
        Finding.objects.select_related("review", "subject", "subject__group", "activity")
        .filter(pk=pk)
        .first()
    )
    if finding is None:
        raise Http404
    if not _may_see_group(user, finding.review_id, finding.subject.group_id):
        raise Http404
    return finding


def active_findings_of(subject: Subject) -> list[Finding]:
    return list(
        Finding.objects.filter(subject=subject, status=FindingStatus.ACTIVE)
        .select_related("review")
        .order_by("number")
    )


# --- reports ---------------------------------------------------------------------------------


def report_of(subject: Subject) -> InvestigationReport | None:
    return (
        InvestigationReport.objects.filter(subject=subject)
        .select_related("updated_by")
        .prefetch_related("attachments")
        .first()
    )


def subjects_with_reports(user, review: Review) -> list[Subject]:
    """The subjects the user may see, each with `report` (or None) and `finding_count`."""
    subjects = list(
        subjects_for_user(user, review)
        .select_related("investigation_report")
        .annotate(
            finding_count=Count("findings", filter=Q(findings__status=FindingStatus.ACTIVE)),
        )
    )
    for subject in subjects:
        subject.report = getattr(subject, "investigation_report", None)
    return subjects


def pending_reports() -> QuerySet[InvestigationReport]:
    """Reports waiting for the council (主任会议) to hear them."""
    return (
        InvestigationReport.objects.filter(status=ReportStatus.SUBMITTED)
        .select_related("subject", "subject__review", "group")
        .order_by("submitted_at", "id")
    )


def recently_heard_reports(limit: int = 20) -> QuerySet[InvestigationReport]:
    return (
        InvestigationReport.objects.filter(status=ReportStatus.HEARD)
        .select_related("subject", "subject__review", "group")
        .order_by("-heard_on", "-id")[:limit]
    )


def investigation_counts(user, review: Review) -> dict:
    """The numbers of the investigation card: four queries, whatever the size of the review."""
    subject_filter = _group_filter(user, review, "group")
    subject_ids = list(
        Subject.objects.filter(review=review).filter(subject_filter).values_list("id", flat=True)
    )
    activities = (
        Activity.objects.filter(review=review).filter(_group_filter(user, review, "group")).count()
    )
    findings = dict(
        Finding.objects.filter(review=review, subject_id__in=subject_ids)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    reports = dict(
        InvestigationReport.objects.filter(subject_id__in=subject_ids)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    started = sum(reports.values())
    report_rows = [("none", "未起草", len(subject_ids) - started)] + [
        (value, label, reports.get(value, 0)) for value, label in ReportStatus.choices
    ]
    return {
        "subjects": len(subject_ids),
        "activities": activities,
        "findings_active": findings.get(FindingStatus.ACTIVE, 0),
        "findings_withdrawn": findings.get(FindingStatus.WITHDRAWN, 0),
        "reports": report_rows,
    }
