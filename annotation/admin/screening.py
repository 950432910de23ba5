"""The study's identity-screening review: responses that name their system, with the
match highlighted, and the admin's decision (mask, release as written, leave out)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from annotation.models import Item, Study
from annotation.selectors.screening import study_screened_items, study_screening_counts
from annotation.services import ScreeningInvalid, item_screening_decide
from common.admin import staff_user
from common.highlight import MarkerHit, highlighted


class ScreeningReviewMixin(admin.ModelAdmin):
    """For StudyAdmin: the review page at <study>/screening/ and its link on the study."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:study_id>/screening/",
                view(self.screening_view),
                name="annotation_study_screening",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="identity screening")
    def identity_screening(self, study: Study) -> str:
        counts = study_screening_counts(study_id=study.pk)
        if not counts.found:
            return "No response names a system."
        return format_html(
            '{}. <a href="{}">Review</a>',
            counts.describe(),
            reverse("admin:annotation_study_screening", args=[study.pk]),
        )

    def screening_view(self, request: HttpRequest, study_id: int) -> HttpResponse:
        study = get_object_or_404(Study, pk=study_id)
        if not self.has_view_permission(request, study):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, study):
                raise PermissionDenied
            item_id = request.POST.get("item", "")
            if not item_id.isdigit():
                raise Http404("no such item")
            item = get_object_or_404(Item, pk=int(item_id), study=study)
            try:
                item = item_screening_decide(
                    item=item, decision=request.POST.get("decision", ""), by=staff_user(request)
                )
            except ScreeningInvalid as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(
                    request, f"Item {item.public_id}: {item.get_screening_display()}.",
                    messages.SUCCESS,
                )  # fmt: skip
            return HttpResponseRedirect(request.path)
        items = study_screened_items(study_id=study.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Study {study.name}: responses that name a system",
            "study": study,
            "counts": study_screening_counts(study_id=study.pk),
            "items": [_review_item(item) for item in items],
        }
        return render(request, "admin/annotation/study/screening.html", context)


def _pieces(text: str, matches: list[dict]) -> list:
    hits = [
        MarkerHit(turn=0, start=match["start"], end=match["end"], marker=match["pattern"])
        for match in matches
    ]
    return highlighted(text, hits)


def _review_item(item: Item) -> dict:
    """A held item with its matches marked: in a pair, both answers (either may be the
    one that named its system), so that masking both is decided seeing both."""
    matches = [*item.identity_matches, *item.other_identity_matches]
    return {
        "item": item,
        "patterns": sorted({match["pattern"] for match in matches}),
        "pieces": _pieces(item.response.text, item.identity_matches),
        "other_pieces": None
        if item.other_response is None
        else _pieces(item.other_response.text, item.other_identity_matches),
        "held": item.screening == Item.Screening.HELD,
    }
