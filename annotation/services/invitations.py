"""Invitations: the only way an annotator account comes to exist."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Annotator, Invitation
from common.errors import ServiceError

DEFAULT_VALID_DAYS = 7


class InvitationInvalid(ServiceError):
    """A link that cannot be used (unknown, used, revoked or expired)."""


class AccountInvalid(ServiceError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(
            "; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()),
            errors={key: " ".join(messages) for key, messages in errors.items()},
        )
        # Django's own shape (field → messages), as the sign-up form shows them.
        self.field_messages = errors


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    # Shown once to the admin who made it; only its hash is stored.
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_create(
    *,
    invitee: str,
    created_by: User | None,
    expertise_note: str = "",
    valid_days: int = DEFAULT_VALID_DAYS,
    email: str = "",
) -> IssuedInvitation:
    invitee = invitee.strip()
    if not invitee:
        raise InvitationInvalid("say whom the invitation is for")
    if not 1 <= valid_days <= 90:
        raise InvitationInvalid("an invitation is valid for 1 to 90 days")
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvitationInvalid(f"{email!r} is not an e-mail address") from None
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=_token_hash(token),
        invitee=invitee,
        email=email,
        expertise_note=expertise_note,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=valid_days),
    )
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_email(*, issued: IssuedInvitation, link: str) -> None:
    """Send the single-use link to the invitation's address (Django's mail settings);
    OSError and SMTP errors reach the caller, who still holds the link to copy."""
    invitation = issued.invitation
    if not invitation.email:
        raise InvitationInvalid("this invitation has no e-mail address")
    expires = invitation.expires_at.strftime("%Y-%m-%d %H:%M %Z")
    send_mail(
        subject="SoulEval: your invitation to rate counselling responses · 评估邀请",
        message=(
            f"{invitation.invitee},\n\n"
            "You are invited to join SoulEval as an annotator. Open this link to choose a "
            f"username and a password (it works once, until {expires}):\n\n{link}\n\n"
            "您被邀请以评估专家身份加入 SoulEval。"
            "请打开上面的链接设置用户名和密码（仅可使用一次）。\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _usable(invitation: Invitation | None) -> Invitation:
    # One message for unknown, used and revoked links: a guesser learns nothing.
    if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation link is not valid or has already been used."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(
            _("This invitation link has expired. Ask the study's administrator for a new one.")
        )
    return invitation


def invitation_get_usable(*, token: str) -> Invitation:
    return _usable(Invitation.objects.filter(token_hash=_token_hash(token)).first())


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> Annotator:
    """Create the invitee's account; the link is spent in the same transaction, so two
    tabs submitting at once make one account."""
    invitation = _usable(
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    )
    user_model = get_user_model()
    # The invitation's address, if it had one, is where password resets are sent.
    user = user_model(username=username.strip(), email=invitation.email)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise AccountInvalid(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another invitation took the name between the check above and this insert; this
        # one stays unspent, so its invitee can choose another name.
        raise AccountInvalid({"username": ["A user with that username already exists."]}) from None
    annotator = Annotator.objects.create(
        user=user, invited_by=invitation.created_by, expertise_note=invitation.expertise_note
    )
    invitation.used_at = timezone.now()
    invitation.used_by = annotator
    invitation.save(update_fields=["used_at", "used_by", "updated_at"])
    return annotator


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        revoked_at=timezone.now()
    )
