"""Writes of the annotation app, by subject."""

from annotation.services.assignments import (
    AssignmentRefused,
    RatingInvalid,
    SubmitResult,
    assignment_draft_save,
    assignment_next,
    assignment_skip,
    rating_submit,
)
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
    invitation_get_usable,
    invitation_revoke,
)
from annotation.services.studies import (
    StudyInvalid,
    StudySettings,
    gold_item_add,
    study_create,
    study_currency_parse,
    study_responses_for_samples,
    study_status_set,
    study_systems,
    study_title_check,
    study_update,
)

__all__ = [
    "AccountInvalid",
    "AssignmentRefused",
    "ExclusionInvalid",
    "InvitationInvalid",
    "IssuedInvitation",
    "RatingInvalid",
    "StudyInvalid",
    "StudySettings",
    "SubmitResult",
    "assignment_draft_save",
    "assignment_next",
    "assignment_skip",
    "exclusion_undo",
    "gold_item_add",
    "invitation_accept",
    "invitation_create",
    "invitation_get_usable",
    "invitation_revoke",
    "rater_exclude",
    "rating_exclude",
    "rating_submit",
    "study_create",
    "study_currency_parse",
    "study_responses_for_samples",
    "study_status_set",
    "study_systems",
    "study_title_check",
    "study_update",
]
