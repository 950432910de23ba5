"""Admin for exclusions: an annotator, or single ratings, left out of a study's analysis
with a reason; undone by an action, kept on record either way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from annotation.models import RaterExclusion, Rating
from annotation.services import (
    ExclusionInvalid,
    exclusion_undo,
    rater_exclude,
    rating_exclude,
)
from annotation.services.exclusions import rater_exclusion_check, rating_exclusion_check
from common.admin import ServiceModelAdmin, staff_user


class ExclusionForm(forms.ModelForm):
    class Meta:
        model = RaterExclusion
        fields = ["study", "annotator", "rating", "reason"]
        help_texts = {
            "annotator": "All of their ratings in the study, or choose one rating below.",
            "reason": "Shown wherever the figures are (Table 1's note, the dashboard, exports).",
        }

    def clean(self) -> dict[str, Any]:
        # The service's checks, not the model's constraints: the same rules, said in
        # words (ModelForm.clean would add a second, generic message for each).
        data = self.cleaned_data
        if self.errors:
            return data
        study, annotator, rating = data["study"], data.get("annotator"), data.get("rating")
        if (annotator is None) == (rating is None):
            raise forms.ValidationError(
                "Choose an annotator (all their ratings in the study) or one rating, not both."
            )
        try:
            if annotator is not None:
                data["reason"] = rater_exclusion_check(
                    study=study, annotator=annotator, reason=data.get("reason", "")
                )
            elif rating is not None and rating.assignment.item.study_id != study.pk:
                self.add_error("rating", f"this rating belongs to {rating.assignment.item.study}")
            elif rating is not None:
                data["reason"] = rating_exclusion_check(
                    rating=rating, reason=data.get("reason", "")
                )
        except ExclusionInvalid as error:
            raise forms.ValidationError(str(error)) from None
        return data


@admin.register(RaterExclusion)
class RaterExclusionAdmin(ServiceModelAdmin):
    form = ExclusionForm
    list_display = ["study", "what", "reason", "created_by", "created_at", "state"]
    list_filter = ["study", ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["study", "annotator__user", "rating__assignment__annotator__user",
                           "created_by", "undone_by"]  # fmt: skip
    raw_id_fields = ["rating"]
    readonly_fields = ["created_by", "created_at", "undone_at", "undone_by"]
    actions = ["undo"]

    def get_fields(
        self, request: HttpRequest, obj: RaterExclusion | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("study", "annotator", "rating", "reason")
        return ("study", "annotator", "rating", "reason", *self.readonly_fields)

    def has_change_permission(self, request: HttpRequest, obj: RaterExclusion | None = None):
        # A record of a decision: it is undone (an action), never edited.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: RaterExclusion | None = None):
        return False

    def save_model(
        self, request: HttpRequest, obj: RaterExclusion, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if data.get("annotator") is not None:
            made = rater_exclude(
                study=data["study"], annotator=data["annotator"], reason=data["reason"],
                by=staff_user(request),
            )  # fmt: skip
        else:
            made = rating_exclude(
                rating=data["rating"], reason=data["reason"], by=staff_user(request)
            )
        obj.pk, obj.created_at, obj.created_by = made.pk, made.created_at, made.created_by
        obj._state.adding = False

    def response_add(self, request: HttpRequest, obj: RaterExclusion, post_url_continue=None):
        # Left out from the dashboard or the study page: back to the figures it changed.
        back = request.GET.get("next", "")
        if "_save" in request.POST and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            self.message_user(request, f"Left out: {self.what(obj)} ({obj.reason}).")
            return HttpResponseRedirect(back)
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="left out")
    def what(self, exclusion: RaterExclusion) -> str:
        rating = exclusion.rating
        # The table's check constraint: an exclusion names an annotator or a rating.
        if exclusion.annotator_id or rating is None:
            return f"annotator {exclusion.annotator}, all ratings"
        return f"rating {rating.pk} by {rating.assignment.annotator}"

    @admin.display(description="state")
    def state(self, exclusion: RaterExclusion) -> str:
        if exclusion.undone_at is None:
            return "in force"
        return f"undone {exclusion.undone_at:%Y-%m-%d %H:%M} by {exclusion.undone_by or '?'}"

    @admin.action(description="Undo the selected exclusions (their ratings count again)")
    def undo(self, request: HttpRequest, queryset: QuerySet[RaterExclusion]) -> None:
        for exclusion in queryset:
            try:
                exclusion_undo(exclusion=exclusion, by=staff_user(request))
            except ExclusionInvalid as error:
                self.message_user(request, f"{exclusion}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"Undone: {exclusion}.", messages.SUCCESS)


class ExcludeRatingsForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


@admin.action(description="Leave the selected ratings out of the analysis…")
def exclude_ratings_action(modeladmin, request: HttpRequest, queryset: QuerySet[Rating]):
    """Rating admin action: ask for a reason, then leave the selected ratings out."""
    form = ExcludeRatingsForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        left_out = 0
        for rating in queryset:
            try:
                rating_exclude(
                    rating=rating, reason=form.cleaned_data["reason"], by=staff_user(request)
                )
            except ExclusionInvalid as error:
                modeladmin.message_user(request, f"rating {rating.pk}: {error}", messages.WARNING)
            else:
                left_out += 1
        modeladmin.message_user(
            request, f"{left_out} rating(s) left out of the analysis.", messages.SUCCESS
        )
        return None
    return TemplateResponse(
        request,
        "admin/annotation/rating/exclude.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Leave ratings out of the analysis",
            "ratings": queryset.select_related(
                "assignment__annotator__user", "assignment__item__study"
            ),
            "form": form,
            "opts": modeladmin.model._meta,
        },
    )
