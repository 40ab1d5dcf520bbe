"""Home pages of the roles whose work centres on reviews. Each shows what is waiting for
that person; until the objects exist (later phases) they show an empty state that says what
will appear."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from subjects.access import roles_required
from subjects.roles import Role
from subjects.selectors import recent_decisions


@roles_required(Role.OFFICE)
@require_GET
def office_home(request):
    return render(request, "reviews/home_office.html", {"recent_events": recent_decisions()})


@roles_required(Role.COUNCIL)
@require_GET
def council_home(request):
    return render(request, "reviews/home_council.html")


@roles_required(Role.GROUP_MEMBER)
@require_GET
def group_home(request):
    return render(request, "reviews/home_group.html")


@roles_required(Role.COMMITTEE_MEMBER)
@require_GET
def member_home(request):
    return render(request, "reviews/home_member.html")


@roles_required(Role.OFFICIAL)
@require_GET
def official_home(request):
    return render(request, "reviews/home_official.html")
