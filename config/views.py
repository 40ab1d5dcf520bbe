"""Project-level views: the landing redirect and the error pages."""

from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader

from subjects.access import authenticated
from subjects.roles import Role, primary_role

HOME_BY_ROLE = {
    Role.OFFICE: "reviews:office_home",
    Role.COUNCIL: "reviews:council_home",
    Role.GROUP_MEMBER: "reviews:group_home",
    Role.COMMITTEE_MEMBER: "reviews:member_home",
    Role.OFFICIAL: "reviews:official_home",
    Role.DEPUTY: "surveys:deputy_home",
}


@authenticated
def home(request):
    role = primary_role(request.user)
    if role is None:
        return render(request, "no_role.html")
    return redirect(HOME_BY_ROLE[role])


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: whatever broke may be behind the context processors.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
