"""Admin for invitations and annotators: annotators join only through invitations."""

from __future__ import annotations

import smtplib

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from annotation.models import Annotator, Invitation
from annotation.services import (
    InvitationInvalid,
    invitation_create,
    invitation_email,
    invitation_revoke,
)
from common.admin import ServiceModelAdmin, staff_user


class InvitationForm(forms.ModelForm):
    valid_days = forms.IntegerField(min_value=1, max_value=90, initial=7)

    class Meta:
        model = Invitation
        fields = ["invitee", "email", "expertise_note"]


@admin.register(Invitation)
class InvitationAdmin(ServiceModelAdmin):
    form = InvitationForm
    list_display = ["invitee", "email", "created_by", "created_at", "expires_at", "state"]
    readonly_fields = ["email", "created_by", "expires_at", "used_at", "used_by", "revoked_at"]
    actions = ["revoke"]

    class Media:
        js = ["annotation/copy_link.js"]

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("invitee", "email", "expertise_note", "valid_days")
        return ("invitee", "email", "expertise_note", *self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: Invitation, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            issued = invitation_create(
                invitee=form.cleaned_data["invitee"],
                email=form.cleaned_data["email"],
                expertise_note=form.cleaned_data["expertise_note"],
                created_by=staff_user(request),
                valid_days=form.cleaned_data["valid_days"],
            )
        except InvitationInvalid as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        link = request.build_absolute_uri(
            reverse("invitation-accept", kwargs={"token": issued.token})
        )
        sent = ""
        if issued.invitation.email:
            try:
                invitation_email(issued=issued, link=link)
            except (OSError, smtplib.SMTPException) as error:
                self.message_user(
                    request,
                    f"The e-mail to {issued.invitation.email} could not be sent ({error}); "
                    "copy the link below and send it yourself.",
                    messages.WARNING,
                )
            else:
                sent = f" It was e-mailed to {issued.invitation.email}."
        # The token is stored only as a hash: this message is the one time it is shown.
        self.message_user(
            request,
            format_html(
                "The single-use link for {}, shown once:{} "
                "<input class='invitation-link' readonly size='60' value='{}'> "
                "<button type='button' class='copy-link' data-copy='{}'>Copy link</button>",
                issued.invitation.invitee,
                sent,
                link,
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
class AnnotatorAdmin(ServiceModelAdmin):
    list_display = ["user", "active", "invited_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["user__username", "expertise_note"]
    fields = ["user", "invited_by", "expertise_note", "active", "created_at"]
    readonly_fields = ["user", "invited_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Annotators join through invitations only.
        return False
