from django.shortcuts import render
from django.views.decorators.http import require_GET

from subjects.access import roles_required
from subjects.roles import Role


@roles_required(Role.DEPUTY)
@require_GET
def deputy_home(request):
    return render(request, "surveys/home_deputy.html")
