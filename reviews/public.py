"""The public announcement (公示) pages: no login, and only what the office has published.
An unpublished review answers 404 exactly like one that does not exist."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from subjects.access import public

from . import meetings
from .charts import chart_rows
from .models import Poll, Review, Subject


@public
@require_GET
def index(request):
    reviews = Review.objects.filter(published_at__isnull=False).order_by("-year", "-published_at")
    return render(request, "reviews/public_index.html", {"reviews": reviews})


@public
@require_GET
def review(request, pk):
    review = Review.objects.filter(pk=pk, published_at__isnull=False).first()
    if review is None:
        raise Http404
    subjects = (
        Subject.objects.filter(review=review)
        .select_related("group")
        .order_by("form", "order", "id")
    )
    dimensions = review.dimensions.all()
    polls = [
        {"poll": poll, "rows": chart_rows(meetings.results(poll))}
        for poll in Poll.objects.filter(meeting__review=review, public_at__isnull=False)
        .select_related("meeting")
        .order_by("public_at")
    ]
    return render(
        request,
        "reviews/public_review.html",
        {"review": review, "subjects": subjects, "dimensions": dimensions, "polls": polls},
    )
