"""Read queries and permission-checking fetchers of the 述职报告 pages (R10, R15).

Who may read a report:
- the official of the subject (or the unit's contacts): every version of their own;
- the office and the council: everything, always;
- a working-group member or leader: the reports of their group's subjects, at any time;
- a committee member (active CompositionMember of the review's term): the current version of
  an accepted report, once the office has distributed the review's reports.
Anyone else gets 404; roles with no business at all (deputies) are refused with 403 by the
views' role declaration.
"""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from reviews.models import Review, Subject, WorkingGroup
from subjects.models import CompositionMember
from subjects.roles import Role, has_role

from .models import DutyReport, DutyReportSettings, DutyReportStatus, DutyReportVersion


def _version_count():
    return Coalesce(
        Subquery(
            DutyReportVersion.objects.filter(report__subject=OuterRef("pk"))
            .order_by()
            .values("report")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def group_ids_of(user, review: Review) -> list[int]:
    return list(
        WorkingGroup.objects.filter(review=review)
        .filter(Q(leader=user) | Q(members=user))
        .values_list("pk", flat=True)
        .distinct()
    )


def is_duty_staff(user) -> bool:
    return has_role(user, Role.OFFICE, Role.COUNCIL)


def subjects_with_reports(review: Review, user) -> QuerySet[Subject]:
    """Every subject of the review (a group member: of their groups) with its report, the
    current version and the number of versions: one query, whatever the number of rows."""
    subjects = Subject.objects.filter(review=review)
    if not is_duty_staff(user):
        subjects = subjects.filter(group_id__in=group_ids_of(user, review))
    return (
        subjects.select_related("group", "duty_report", "duty_report__current")
        .annotate(version_count=_version_count())
        .order_by("form", "order", "id")
    )


def duty_counts(review: Review) -> dict:
    """Counts for the review page's card, in one query."""
    return Subject.objects.filter(review=review).aggregate(
        total=Count("pk"),
        submitted=Count("pk", filter=Q(duty_report__current__isnull=False)),
        pending=Count(
            "pk",
            filter=Q(
                duty_report__status=DutyReportStatus.SUBMITTED,
                duty_report__current__isnull=False,
            ),
        ),
        accepted=Count("pk", filter=Q(duty_report__status=DutyReportStatus.ACCEPTED)),
        returned=Count("pk", filter=Q(duty_report__status=DutyReportStatus.RETURNED)),
        missing=Count("pk", filter=Q(duty_report__current__isnull=True)),
    )


def get_report_for_office(user, pk: int) -> DutyReport:
    if not is_duty_staff(user):
        raise Http404
    report = (
        DutyReport.objects.select_related(
            "subject__review", "subject__group", "current", "decided_by"
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def is_member_of_term(user, term: str) -> bool:
    return (
        has_role(user, Role.COMMITTEE_MEMBER)
        and CompositionMember.objects.filter(user=user, term=term, is_active=True).exists()
    )


def _distributed(review: Review) -> bool:
    return DutyReportSettings.objects.filter(review=review, distributed_at__isnull=False).exists()


def can_read_version(user, version: DutyReportVersion) -> bool:
    report = version.report
    subject = report.subject
    review = subject.review
    if is_duty_staff(user):
        return True
    if subject.official_id and subject.official.user_id == user.pk:
        return True
    if subject.unit_id and subject.unit.contacts.filter(pk=user.pk).exists():
        return True
    if has_role(user, Role.GROUP_MEMBER) and subject.group_id in group_ids_of(user, review):
        return True
    return (
        report.status == DutyReportStatus.ACCEPTED
        and report.current_id == version.pk
        and is_member_of_term(user, review.term)
        and _distributed(review)
    )


def get_version_for_download(user, pk: int) -> DutyReportVersion:
    """The permission-checking fetcher of the download view: 404 for anything not theirs."""
    version = (
        DutyReportVersion.objects.select_related(
            "report__subject__review", "report__subject__official", "report__subject__unit"
        )
        .filter(pk=pk)
        .first()
    )
    if version is None or not can_read_version(user, version):
        raise Http404
    return version


# --- committee members --------------------------------------------------------------------------


def reviews_for_member(user) -> QuerySet[Review]:
    """Reviews of the member's terms whose reports the office has distributed."""
    terms = CompositionMember.objects.filter(user=user, is_active=True).values("term")
    return (
        Review.objects.filter(term__in=terms, duty_settings__distributed_at__isnull=False)
        .select_related("duty_settings")
        .order_by("-year", "-id")
    )


def get_review_for_member(user, pk: int) -> Review:
    review = reviews_for_member(user).filter(pk=pk).first()
    if review is None:
        raise Http404
    return review


def distributed_reports(review: Review) -> QuerySet[Subject]:
    return (
        Subject.objects.filter(review=review, duty_report__status=DutyReportStatus.ACCEPTED)
        .select_related("duty_report__current")
        .order_by("form", "order", "id")
    )
