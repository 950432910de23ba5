"""Admin for ratings (never edited by admins: paid work; their earlier versions, when an
annotator revised one, shown for audit) and safety flags (unreviewed first)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from annotation.admin.exclusions import exclude_ratings_action
from annotation.models import Rating, RatingRevision, SafetyFlag
from common.admin import ServiceModelAdmin, staff_user


class RatingRevisionInline(admin.TabularInline):
    """The versions a revision replaced, oldest first; the rating holds the current one."""

    model = RatingRevision
    extra = 0
    can_delete = False
    readonly_fields = (
        "content", "empathy", "helpfulness", "safety", "comment", "active_seconds",
        "submitted_at", "replaced_at",
    )  # fmt: skip
    fields = readonly_fields
    verbose_name_plural = "earlier versions (replaced by the annotator's revisions)"

    def has_add_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ServiceModelAdmin):
    list_display = [
        "assignment",
        "content",
        "empathy",
        "helpfulness",
        "safety",
        "active_seconds",
        "gold_matches",
        "created_at",
        "revised_at",
    ]
    inlines = [RatingRevisionInline]
    list_filter = ["assignment__item__study", "safety"]
    list_select_related = ["assignment__item__study", "assignment__annotator__user"]
    actions = [exclude_ratings_action]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        # A rating is what an annotator said and was paid for: it is never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        return False


@admin.register(SafetyFlag)
class SafetyFlagAdmin(ServiceModelAdmin):
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
        obj.reviewed_by = obj.reviewed_by or staff_user(request)
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark the selected flags as reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[SafetyFlag]) -> None:
        count = queryset.filter(reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=staff_user(request)
        )
        self.message_user(request, f"{count} flag(s) marked as reviewed.")
