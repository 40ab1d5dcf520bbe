"""Permission-checking fetchers of the meeting pages. Each answers 404 for what the user may
not open, so the existence of a meeting or poll is not leaked (R10).

- Office staff and the chairpersons' council (主任会议, who chair the meeting) run meetings.
- Composition members of the review's term and deputies (who may be admitted as 列席代表)
  attend: they check in, ask questions and vote.
- Reviewed officials see none of it.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from subjects.models import CompositionMember
from subjects.roles import Role, has_role

from .models import Attendance, Meeting, Poll, PollState, Voter
from .workflow import Phase


def is_meeting_staff(user) -> bool:
    return has_role(user, Role.OFFICE, Role.COUNCIL)


def meetings_for_staff(user) -> QuerySet[Meeting]:
    if not is_meeting_staff(user):
        return Meeting.objects.none()
    return Meeting.objects.select_related("review", "current_subject")


def get_meeting_for_staff(user, pk: int) -> Meeting:
    meeting = meetings_for_staff(user).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def get_poll_for_staff(user, pk: int) -> Poll:
    if not is_meeting_staff(user):
        raise Http404
    poll = Poll.objects.select_related("meeting__review").filter(pk=pk).first()
    if poll is None:
        raise Http404
    return poll


def _terms_of(user) -> list[str]:
    return list(
        CompositionMember.objects.filter(user=user, is_active=True).values_list("term", flat=True)
    )


def meetings_for_attendee(user) -> QuerySet[Meeting]:
    """Meetings a member or deputy takes part in, once the review is at its meeting or later:
    those of reviews of their term (members); for deputies, those admitting deputies."""
    scope = Q(review__term__in=_terms_of(user))
    if has_role(user, Role.DEPUTY):
        # 列席代表: meetings of reviews that admit deputies to the vote, and any meeting
        # they were checked in at.
        scope |= Q(review__rules__deputies_vote=True) | Q(
            pk__in=Attendance.objects.filter(user=user).values("meeting_id")
        )
    return (
        Meeting.objects.filter(scope)
        .exclude(review__phase__in=[Phase.PREPARE, Phase.INVESTIGATE])
        .select_related("review", "current_subject")
    )


def get_meeting_for_attendee(user, pk: int) -> Meeting:
    meeting = meetings_for_attendee(user).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def get_poll_for_attendee(user, pk: int) -> Poll:
    """A poll of a meeting the user attends, or one they are a frozen voter of."""
    poll = (
        Poll.objects.select_related("meeting__review")
        .filter(pk=pk)
        .filter(
            Q(meeting__in=meetings_for_attendee(user).values("pk"))
            | Q(pk__in=Voter.objects.filter(user=user).values("poll_id"))
        )
        .first()
    )
    if poll is None:
        raise Http404
    return poll


def current_poll(meeting: Meeting) -> Poll | None:
    """The poll the hall is looking at: the open one, else the latest closed or published,
    else the latest not yet opened."""
    polls = list(meeting.polls.all())
    for poll in polls:
        if poll.state == PollState.OPEN:
            return poll
    finished = [p for p in polls if p.state in (PollState.CLOSED, PollState.PUBLISHED)]
    if finished:
        return max(finished, key=lambda p: (p.closed_at, p.pk))
    return polls[0] if polls else None


def can_see_results(user, poll: Poll) -> bool:
    """Office and council as soon as the poll is closed; attendees once it is published."""
    if poll.state == PollState.CLOSED:
        return is_meeting_staff(user)
    # Published: anyone the caller's fetcher let through (staff, attendees, voters).
    return poll.state == PollState.PUBLISHED


def attendee_meetings(user) -> list[Meeting]:
    """For the member home page: their meetings, newest first, each with its current poll."""
    rows = list(
        meetings_for_attendee(user).prefetch_related("polls").order_by("-starts_at", "-id")[:10]
    )
    for meeting in rows:
        meeting.poll = current_poll(meeting)
    return rows
