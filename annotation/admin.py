"""Admin for studies, gold items, invitations, annotators, ratings and safety flags.

Writes go through the services (the add forms and actions call them), so the admin
keeps the same rules as the commands and the portal.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from annotation.models import Annotator, Assignment, Invitation, Item, Rating, SafetyFlag, Study
from annotation.rubric import SCALE_KEYS
from annotation.selectors import study_pay_rows, study_progress
from annotation.services import (
    InvitationInvalid,
    StudyInvalid,
    StudySettings,
    gold_item_add,
    invitation_create,
    invitation_revoke,
    study_create,
    study_responses_for_samples,
    study_status_set,
)
from generation.models import Dataset, Sample, System


class StudyCreateForm(forms.ModelForm):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.all())
    split = forms.ChoiceField(choices=Sample.Split.choices, initial=Sample.Split.TEST)
    systems = forms.ModelMultipleChoiceField(queryset=System.objects.all())
    samples = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="How many samples; empty means all that every system answered.",
    )
    seed = forms.IntegerField(initial=0)

    class Meta:
        model = Study
        fields = [
            "name", "title", "raters_per_item", "pay_per_item", "currency",
            "minimum_hourly_wage", "lease_minutes", "rubric_version",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["responses"] = study_responses_for_samples(
                dataset_id=data["dataset"].pk,
                split=data["split"],
                systems=list(data["systems"]),
                samples=data.get("samples"),
                seed=data["seed"],
            )
        except StudyInvalid as error:
            raise forms.ValidationError(str(error)) from None
        return data


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "progress",
        "raters_per_item",
        "pay_per_item",
        "currency",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "title"]
    actions = ["open_studies", "pause_studies", "close_studies"]
    readonly_fields = ["public_id", "status", "progress", "pay_table", "created_at", "updated_at"]

    def get_form(self, request: HttpRequest, obj: Study | None = None, **kwargs: Any):
        if obj is None:
            kwargs["form"] = StudyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Study | None = None) -> list[str]:
        if obj is None:
            return [*StudyCreateForm.Meta.fields, "dataset", "split", "systems", "samples", "seed"]
        return [
            "name", "title", "public_id", "status", "progress", "raters_per_item",
            "pay_per_item", "currency", "minimum_hourly_wage", "lease_minutes",
            "rubric_version", "pay_table", "created_at", "updated_at",
        ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Study | None = None) -> list[str]:
        if obj is None:
            return []
        # Once items were handed out, the terms annotators work under stay as they were.
        fixed = ["raters_per_item", "pay_per_item", "currency", "rubric_version"]
        started = Assignment.objects.filter(item__study=obj).exists()
        return [*self.readonly_fields, *(fixed if started else [])]

    def save_model(
        self, request: HttpRequest, obj: Study, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        study = study_create(
            name=data["name"],
            responses=data["responses"],
            settings=StudySettings(
                raters_per_item=data["raters_per_item"],
                pay_per_item=data["pay_per_item"],
                currency=data["currency"],
                minimum_hourly_wage=data["minimum_hourly_wage"],
                lease_minutes=data["lease_minutes"],
                rubric_version=data["rubric_version"],
                title=data["title"],
            ),
        )
        obj.pk, obj.public_id, obj.created_at = study.pk, study.public_id, study.created_at
        obj._state.adding = False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        study = self.get_object(request, object_id)
        if study is not None and request.method == "GET":
            for row in study_pay_rows(study=study):
                if row.below_minimum:
                    messages.warning(
                        request,
                        f"{row.annotator} earns {row.hourly_wage} {study.currency} per active "
                        "hour, "
                        f"below this study's minimum of {study.minimum_hourly_wage}.",
                    )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="progress")
    def progress(self, study: Study) -> str:
        progress = study_progress(study=study)
        return (
            f"{progress.submitted}/{progress.slots} ratings, {progress.live_leases} in progress, "
            f"{progress.items} items + {progress.gold_items} gold"
        )

    @admin.display(description="pay per annotator")
    def pay_table(self, study: Study) -> str:
        rows = study_pay_rows(study=study)
        if not rows:
            return "No ratings yet."
        return format_html(
            "<table><tr><th>annotator</th><th>items</th><th>active</th><th>earned</th>"
            "<th>per hour</th><th>gold accuracy</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{} s</td><td>{} {}</td><td>{}{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        row.annotator, row.submitted, row.active_seconds, row.earned,
                        study.currency, row.hourly_wage if row.hourly_wage is not None else "–",
                        " ⚠ below minimum" if row.below_minimum else "",
                        f"{row.gold_accuracy:.0%} of {row.gold_rated}" if row.gold_rated else "–",
                    )
                    for row in rows
                ),
            ),
        )  # fmt: skip

    def _status_action(self, request: HttpRequest, queryset: QuerySet[Study], status: str) -> None:
        for study in queryset:
            try:
                study_status_set(study=study, status=status)
            except StudyInvalid as error:
                self.message_user(request, f"{study.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{study.name} is {status}.", messages.SUCCESS)

    @admin.action(description="Open the selected studies")
    def open_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.OPEN)

    @admin.action(description="Pause the selected studies")
    def pause_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.PAUSED)

    @admin.action(description="Close the selected studies (every rating is kept)")
    def close_studies(self, request: HttpRequest, queryset: QuerySet[Study]) -> None:
        self._status_action(request, queryset, Study.Status.CLOSED)

    def has_delete_permission(self, request: HttpRequest, obj: Study | None = None) -> bool:
        # Ratings are paid work: a study that has any is closed, never deleted.
        if obj is not None and Rating.objects.filter(assignment__item__study=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


class GoldItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = [
            "study", "response", "expected_content", "expected_empathy",
            "expected_helpfulness", "expected_safety",
        ]  # fmt: skip


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    """Items come from studies; an admin adds gold items here, with expected scores."""

    form = GoldItemForm
    list_display = ["public_id", "study", "system", "is_gold", "ratings"]
    list_filter = ["study", "is_gold", "response__system"]
    search_fields = ["public_id", "response__sample__source_id"]
    raw_id_fields = ["response"]
    list_select_related = ["study", "response__system"]

    def get_readonly_fields(self, request: HttpRequest, obj: Item | None = None) -> list[str]:
        return ["study", "response", "public_id", "is_gold"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Item, form: forms.ModelForm, change: bool
    ) -> None:
        # The form has put the expected scores on obj, whether it is new or not.
        expected = {key: getattr(obj, f"expected_{key}") for key in SCALE_KEYS}
        try:
            item = gold_item_add(study=obj.study, response=obj.response, expected=expected)
        except StudyInvalid as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
            return
        obj.pk, obj.public_id, obj.is_gold = item.pk, item.public_id, True
        obj._state.adding = False

    @admin.display(description="system")
    def system(self, item: Item) -> str:
        return item.response.system.name

    @admin.display(description="ratings")
    def ratings(self, item: Item) -> int:
        return item.assignments.filter(status=Assignment.Status.SUBMITTED).count()


class InvitationForm(forms.ModelForm):
    valid_days = forms.IntegerField(min_value=1, max_value=90, initial=7)

    class Meta:
        model = Invitation
        fields = ["invitee", "expertise_note"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    form = InvitationForm
    list_display = ["invitee", "created_by", "created_at", "expires_at", "state"]
    readonly_fields = ["created_by", "expires_at", "used_at", "used_by", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        if obj is None:
            return ["invitee", "expertise_note", "valid_days"]
        return ["invitee", "expertise_note", *self.readonly_fields]

    def save_model(
        self, request: HttpRequest, obj: Invitation, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            issued = invitation_create(
                invitee=form.cleaned_data["invitee"],
                expertise_note=form.cleaned_data["expertise_note"],
                created_by=request.user,
                valid_days=form.cleaned_data["valid_days"],
            )
        except InvitationInvalid as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        link = request.build_absolute_uri(
            reverse("invitation-accept", kwargs={"token": issued.token})
        )
        # The token is stored only as a hash: this message is the one time it is shown.
        self.message_user(
            request,
            format_html(
                "Send this single-use link to {}: "
                "<code class='invitation-link'>{}</code> (shown once)",
                issued.invitation.invitee,
                link,
            ),
            messages.SUCCESS,
        )
        obj.pk = issued.invitation.pk
        obj._state.adding = False

    @admin.display(description="state")
    def state(self, invitation: Invitation) -> str:
        if invitation.used_at:
            return f"used by {invitation.used_by}"
        if invitation.revoked_at:
            return "revoked"
        return "expired" if invitation.expires_at <= timezone.now() else "open"

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for invitation in queryset:
            invitation_revoke(invitation=invitation)
        self.message_user(request, "Revoked (invitations already used are unchanged).")


@admin.register(Annotator)
class AnnotatorAdmin(admin.ModelAdmin):
    list_display = ["user", "active", "invited_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["user__username", "expertise_note"]
    fields = ["user", "invited_by", "expertise_note", "active", "created_at"]
    readonly_fields = ["user", "invited_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Annotators join through invitations only.
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = [
        "assignment",
        "content",
        "empathy",
        "helpfulness",
        "safety",
        "active_seconds",
        "gold_matches",
        "created_at",
    ]
    list_filter = ["assignment__item__study", "safety"]
    list_select_related = ["assignment__item__study", "assignment__annotator__user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        # A rating is what an annotator said and was paid for: it is never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        return False


@admin.register(SafetyFlag)
class SafetyFlagAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "study",
        "system",
        "response_excerpt",
        "reviewed_at",
        "reviewed_by",
    ]
    list_filter = [("reviewed_at", admin.EmptyFieldListFilter), "response__system"]
    fields = [
        "study",
        "system",
        "context",
        "response_text",
        "rating_comment",
        "reviewed_at",
        "reviewed_by",
        "review_note",
    ]
    readonly_fields = [
        "study",
        "system",
        "context",
        "response_text",
        "rating_comment",
        "reviewed_at",
        "reviewed_by",
    ]
    list_select_related = ["response__system", "rating__assignment__item__study"]
    actions = ["mark_reviewed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SafetyFlag]:
        # Unreviewed flags first, newest first among them.
        return (
            super()
            .get_queryset(request)
            .order_by(F("reviewed_at").desc(nulls_first=True), "-created_at")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="study")
    def study(self, flag: SafetyFlag) -> str:
        return flag.rating.assignment.item.study.name

    @admin.display(description="system")
    def system(self, flag: SafetyFlag) -> str:
        return flag.response.system.name

    @admin.display(description="response")
    def response_excerpt(self, flag: SafetyFlag) -> str:
        return flag.response.text[:80]

    @admin.display(description="response")
    def response_text(self, flag: SafetyFlag) -> str:
        return flag.response.text

    @admin.display(description="context")
    def context(self, flag: SafetyFlag) -> str:
        return "\n".join(
            f"{turn['role']}: {turn['content']}" for turn in flag.response.sample.context
        )

    @admin.display(description="annotator's comment")
    def rating_comment(self, flag: SafetyFlag) -> str:
        return flag.rating.comment or "–"

    def save_model(
        self, request: HttpRequest, obj: SafetyFlag, form: forms.ModelForm, change: bool
    ) -> None:
        obj.reviewed_at = obj.reviewed_at or timezone.now()
        obj.reviewed_by = obj.reviewed_by or request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark the selected flags as reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[SafetyFlag]) -> None:
        count = queryset.filter(reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=request.user
        )
        self.message_user(request, f"{count} flag(s) marked as reviewed.")
