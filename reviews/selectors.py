"""Read queries the review pages share. Each runs a fixed number of queries, whatever the
number of rows (no N+1)."""

from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from subjects.models import Official, OfficialStatus, Unit, category_rank
from subjects.roles import Role, has_role

from .models import (
    Dimension,
    LeadershipMember,
    LeadershipPosition,
    Review,
    Subject,
    WorkingGroup,
)
from .workflow import ReviewFacts


def reviews_for_office() -> QuerySet[Review]:
    return Review.objects.annotate(
        subject_count=Count("subjects", distinct=True),
        group_count=Count("groups", distinct=True),
    ).order_by("-year", "-id")


def visible_reviews(user) -> QuerySet[Review]:
    """Reviews a user may open: all for the office and the council; for a working-group
    member, those where they lead or sit in a group."""
    if has_role(user, Role.OFFICE, Role.COUNCIL):
        return Review.objects.all()
    if has_role(user, Role.GROUP_MEMBER):
        return Review.objects.filter(Q(groups__leader=user) | Q(groups__members=user)).distinct()
    return Review.objects.none()


def get_review_for_user(user, pk: int) -> Review:
    """The permission-checking fetcher: 404 for a review the user may not see."""
    review = visible_reviews(user).select_related("rules").filter(pk=pk).first()
    if review is None:
        raise Http404
    return review


def review_facts(review: Review) -> ReviewFacts:
    subjects = Subject.objects.filter(review=review).aggregate(
        total=Count("id"), without_group=Count("id", filter=Q(group__isnull=True))
    )
    return ReviewFacts(
        phase=review.phase,
        plan_status=review.plan_status,
        has_plan_document=bool(review.plan_document),
        timetable_complete=review.timetable_complete,
        subject_count=subjects["total"],
        subjects_without_group=subjects["without_group"],
        groups_without_leader=WorkingGroup.objects.filter(
            review=review, leader__isnull=True
        ).count(),
        dimension_count=review.dimensions.count(),
        leadership_has_leader=review.leadership.filter(position=LeadershipPosition.LEADER).exists(),
    )


def subjects_of(review: Review) -> QuerySet[Subject]:
    return (
        # Name, unit and post are copied onto the subject at enrolment: no roster joins.
        Subject.objects.filter(review=review)
        .select_related("group")
        .order_by("form", "order", "id")
    )


def groups_of(review: Review) -> QuerySet[WorkingGroup]:
    return (
        WorkingGroup.objects.filter(review=review)
        .select_related("leader")
        .prefetch_related("members")
        .annotate(subject_count=Count("subjects"))
    )


def leadership_of(review: Review) -> QuerySet[LeadershipMember]:
    return LeadershipMember.objects.filter(review=review).select_related("user")


def years_ago(years: int, today: date | None = None) -> date:
    # The committee's calendar day, not the server's (TIME_ZONE is Asia/Shanghai).
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return today.replace(year=today.year - years, day=28)


def enrolment_candidates(
    review: Review, *, min_years: int | None = None, unit_id=None, category: str = "", q: str = ""
) -> QuerySet[Official]:
    """Serving officials not yet enrolled in this review, with the office's filters."""
    enrolled = Subject.objects.filter(review=review, official=OuterRef("pk"))
    officials = (
        Official.objects.filter(status=OfficialStatus.SERVING)
        .annotate(already=Exists(enrolled))
        .filter(already=False)
        .select_related("unit")
    )
    if min_years:
        officials = officials.filter(in_post_since__lte=years_ago(min_years))
    if unit_id:
        officials = officials.filter(unit_id=unit_id)
    if category:
        officials = officials.filter(unit__category=category)
    if q:
        officials = officials.filter(Q(name__icontains=q) | Q(post__icontains=q))
    return officials.order_by(category_rank("unit__"), "unit__name", "name")


def term_coverage(term: str) -> dict:
    """For one term: the serving officials appointed in it, split by whether any review of
    the same term has enrolled them (seed 003: those not chosen this year come later)."""
    reviewed = Subject.objects.filter(official=OuterRef("pk"), review__term=term)
    officials = list(
        Official.objects.filter(term=term, status=OfficialStatus.SERVING)
        .annotate(reviewed=Exists(reviewed))
        .select_related("unit")
        .order_by(category_rank("unit__"), "unit__name", "name")
    )
    return {
        "term": term,
        "reviewed": [o for o in officials if o.reviewed],
        "not_reviewed": [o for o in officials if not o.reviewed],
        "total": len(officials),
    }


def subjects_for_official_user(user) -> QuerySet[Subject]:
    """The enrolments a reviewed official or a unit contact may see: their own only."""
    return (
        Subject.objects.filter(Q(official__user=user) | Q(unit__contacts=user))
        .select_related("review", "group", "group__leader")
        .distinct()
        .order_by("-review__year", "-review_id")
    )


def get_subject_for_official_user(user, pk: int) -> Subject:
    subject = subjects_for_official_user(user).filter(pk=pk).first()
    if subject is None:
        raise Http404
    return subject


def _count_per_review(queryset):
    """A correlated COUNT(*) per review, so several counts do not multiply each other's rows."""
    return Coalesce(
        Subquery(
            queryset.filter(review=OuterRef("pk"))
            .order_by()
            .values("review")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def reviews_with_facts(queryset: QuerySet[Review] | None = None) -> QuerySet[Review]:
    """Reviews annotated with what `facts_of` needs: one query for any number of reviews
    (the office's list and home page show each review's blockers)."""
    queryset = queryset if queryset is not None else Review.objects.all()
    return queryset.annotate(
        subject_count=_count_per_review(Subject.objects.all()),
        subjects_without_group=_count_per_review(Subject.objects.filter(group__isnull=True)),
        group_count=_count_per_review(WorkingGroup.objects.all()),
        groups_without_leader=_count_per_review(WorkingGroup.objects.filter(leader__isnull=True)),
        dimension_count=_count_per_review(Dimension.objects.all()),
        leadership_has_leader=Exists(
            LeadershipMember.objects.filter(
                review=OuterRef("pk"), position=LeadershipPosition.LEADER
            )
        ),
    ).order_by("-year", "-id")


def facts_of(review: Review) -> ReviewFacts:
    """The facts of a review fetched through `reviews_with_facts` (no further query)."""
    return ReviewFacts(
        phase=review.phase,
        plan_status=review.plan_status,
        has_plan_document=bool(review.plan_document),
        timetable_complete=review.timetable_complete,
        subject_count=review.subject_count,
        subjects_without_group=review.subjects_without_group,
        groups_without_leader=review.groups_without_leader,
        dimension_count=review.dimension_count,
        leadership_has_leader=review.leadership_has_leader,
    )


def groups_for_member(user) -> QuerySet[WorkingGroup]:
    """The working groups a user leads or sits in, with their review, leader, members and
    subjects (four queries)."""
    return (
        WorkingGroup.objects.filter(Q(leader=user) | Q(members=user))
        .distinct()
        .select_related("review", "leader")
        .prefetch_related("members", "subjects")
        .order_by("-review__year", "-review_id", "order", "id")
    )


def unit_candidates(review: Review, *, category: str = "", q: str = "") -> QuerySet[Unit]:
    """Active units not yet enrolled in this review (工作评议 / 民主评议)."""
    enrolled = Subject.objects.filter(review=review, unit=OuterRef("pk"))
    units = Unit.objects.filter(is_active=True).annotate(already=Exists(enrolled))
    units = units.filter(already=False)
    if category:
        units = units.filter(category=category)
    if q:
        units = units.filter(Q(name__icontains=q) | Q(short_name__icontains=q))
    return units.order_by(category_rank(), "name")


def known_terms() -> list[str]:
    """Every term (届次) named by a review or by the roster, newest review's first."""
    terms = list(Review.objects.order_by("-year", "-id").values_list("term", flat=True))
    terms += sorted(
        Official.objects.exclude(term="").order_by().values_list("term", flat=True).distinct()
    )
    return list(dict.fromkeys(t for t in terms if t))
