"""The chairpersons' council (主任会议): the opinions submitted to it, approval and return.
The council reads opinions and issued documents but never edits or issues them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from subjects.access import roles_required
from subjects.forms import errors_into_form
from subjects.roles import Role

from . import opinions, selectors
from .forms import ApproveForm, ReturnForm
from .views_office import _opinion_page


@roles_required(Role.COUNCIL)
@require_GET
def council_opinions(request):
    return render(
        request,
        "rectification/council_opinions.html",
        {
            "pending": list(selectors.pending_opinions()),
            "decided": list(selectors.recently_decided_opinions()),
        },
    )


@roles_required(Role.COUNCIL)
@require_POST
def opinion_approve(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            opinions.approve(
                actor=request.user,
                opinion=opinion,
                session=form.cleaned_data["session"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已批准评议意见，评议办可以印发。")
            return redirect("rectification:opinion", pk=opinion.pk)
    return _opinion_page(request, opinion, approve_form=form)


@roles_required(Role.COUNCIL)
@require_POST
def opinion_return(request, pk):
    opinion = opinions.get_opinion_for_user(request.user, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            opinions.return_opinion(
                actor=request.user, opinion=opinion, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            errors_into_form(form, error)
        else:
            messages.success(request, "已退回评议意见，评议办会按您的意见修改。")
            return redirect("rectification:council_opinions")
    return _opinion_page(request, opinion, return_form=form)
