"""Annotators and the invitations they join by."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from common.models import TimestampedModel


class Annotator(TimestampedModel):
    """A psychology expert who joined through an invitation; staff are admins, not this."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotator"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expertise_note = models.TextField(blank=True)
    active = models.BooleanField(
        default=True, help_text="An inactive annotator is handed no new items."
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class Invitation(TimestampedModel):
    """A single-use link that lets one person create an annotator account.

    Only a hash of the token is stored, so the database never holds a usable link."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invitee = models.CharField(
        max_length=200, help_text="Whom it is for (a name or an e-mail address), for the admin."
    )
    email = models.EmailField(
        blank=True,
        help_text="Optional: the link is e-mailed here, and it becomes the account's "
        "address for password resets.",
    )
    expertise_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        Annotator, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation for {self.invitee}"
