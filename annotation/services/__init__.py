"""Writes of the annotation app, by subject."""

from annotation.services.assignments import (
    AssignmentRefused,
    RatingInvalid,
    SubmitResult,
    assignment_draft_save,
    assignment_skip,
    rating_submit,
)
from annotation.services.claims import Claim, assignment_claim, assignment_next
from annotation.services.exclusions import (
    ExclusionInvalid,
    exclusion_undo,
    rater_exclude,
    rating_exclude,
)
from annotation.services.invitations import (
    AccountInvalid,
    InvitationInvalid,
    IssuedInvitation,
    invitation_accept,
    invitation_create,
    invitation_email,
    invitation_get_usable,
    invitation_revoke,
)
from annotation.services.revisions import rating_revise
from annotation.services.screening import (
    ScreeningInvalid,
    item_screening_decide,
    study_items_screen,
)
from annotation.services.studies import (
    StudyInvalid,
    StudySettings,
    gold_item_add,
    gold_item_check,
    study_create,
    study_currency_parse,
    study_responses_for_samples,
    study_status_set,
    study_texts_check,
    study_update,
)

__all__ = [
    "AccountInvalid",
    "AssignmentRefused",
    "Claim",
    "ExclusionInvalid",
    "InvitationInvalid",
    "IssuedInvitation",
    "RatingInvalid",
    "ScreeningInvalid",
    "StudyInvalid",
    "StudySettings",
    "SubmitResult",
    "assignment_claim",
    "assignment_draft_save",
    "assignment_next",
    "assignment_skip",
    "exclusion_undo",
    "gold_item_add",
    "gold_item_check",
    "invitation_accept",
    "invitation_create",
    "invitation_email",
    "invitation_get_usable",
    "invitation_revoke",
    "item_screening_decide",
    "rater_exclude",
    "rating_exclude",
    "rating_revise",
    "rating_submit",
    "study_create",
    "study_currency_parse",
    "study_items_screen",
    "study_responses_for_samples",
    "study_status_set",
    "study_texts_check",
    "study_update",
]
