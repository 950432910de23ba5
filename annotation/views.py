"""The annotator portal: server-rendered pages, each calling one service or selector.

Every page reads only what selectors build from the annotator's own assignments; an item
or study that is not theirs answers 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotation.access import annotator_required, posted_form
from annotation.models import Annotator, Assignment, Study
from annotation.pair_views import pair_page
from annotation.rubric import INDEPENDENCE_NOTE_EN, INDEPENDENCE_NOTE_ZH, SCALE_KEYS, SCALES
from annotation.selectors import (
    NotFound,
    annotator_for_user,
    annotator_stats,
    item_view,
    study_for_annotator,
)
from annotation.selectors.my_work import my_ratings, study_progress_for, study_started_by
from annotation.services import (
    AccountInvalid,
    AssignmentRefused,
    InvitationInvalid,
    RatingInvalid,
    assignment_next,
    assignment_skip,
    invitation_accept,
    invitation_get_usable,
    rating_revise,
    rating_submit,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if annotator_for_user(user=request.user) is not None:
        return redirect("annotation:portal")
    return render(request, "home.html")


@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_get_usable(token=token)
    except InvitationInvalid as error:
        return render(
            request, "annotation/invitation_invalid.html", {"message": str(error)}, status=404
        )
    errors: dict[str, list[str]] = {}
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        password, repeated = request.POST.get("password", ""), request.POST.get("password2", "")
        if password != repeated:
            errors = {"password2": [_("The two passwords differ.")]}
        else:
            try:
                annotator = invitation_accept(token=token, username=username, password=password)
            except AccountInvalid as error:
                errors = error.field_messages
            except InvitationInvalid as error:
                return render(
                    request,
                    "annotation/invitation_invalid.html",
                    {"message": str(error)},
                    status=404,
                )
            else:
                login(request, annotator.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome! Your annotator account is ready."))
                return redirect("annotation:portal")
    return render(
        request,
        "annotation/invitation_accept.html",
        {"invitee": invitation.invitee, "errors": errors, "username": username},
        status=400 if errors else 200,
    )


@require_GET
@annotator_required
def portal(request: HttpRequest, annotator: Annotator) -> HttpResponse:
    return render(
        request, "annotation/portal.html", {"studies": annotator_stats(annotator=annotator)}
    )


@require_GET
@annotator_required
def study_next(request: HttpRequest, annotator: Annotator, study_id: str) -> HttpResponse:
    """The annotator's current item in the study, or the next one; a GET because asking
    again returns the same item while its lease lives."""
    try:
        study = study_for_annotator(annotator=annotator, study_public_id=study_id)
    except NotFound:
        raise Http404(_("No such study.")) from None
    if _instructions_unread(request, annotator, study):
        return redirect("annotation:instructions", study_id=study.public_id)
    try:
        assignment = assignment_next(annotator=annotator, study=study)
    except AssignmentRefused as error:
        messages.warning(request, str(error))
        return redirect("annotation:portal")
    if assignment is None:
        # The portal says so once, with its "completed" badge; no second message here.
        return redirect("annotation:portal")
    return redirect("annotation:item", item_id=assignment.item.public_id)


def _instructions_key(study: Study) -> str:
    return f"instructions-read:{study.public_id}"


def _instructions_unread(request: HttpRequest, annotator: Annotator, study: Study) -> bool:
    """The study's instructions come before its first item: until they were shown in
    this session, or while the annotator has no work in the study yet."""
    if not study.instructions.strip() or request.session.get(_instructions_key(study)):
        return False
    return not study_started_by(annotator=annotator, study=study)


@require_GET
@annotator_required
def study_instructions(request: HttpRequest, annotator: Annotator, study_id: str) -> HttpResponse:
    try:
        study = study_for_annotator(annotator=annotator, study_public_id=study_id)
    except NotFound:
        raise Http404(_("No such study.")) from None
    request.session[_instructions_key(study)] = True
    return render(
        request,
        "annotation/instructions.html",
        {"study": study, "independence_zh": INDEPENDENCE_NOTE_ZH,
         "independence_en": INDEPENDENCE_NOTE_EN},
    )  # fmt: skip


@require_GET
@annotator_required
def study_ratings(request: HttpRequest, annotator: Annotator, study_id: str) -> HttpResponse:
    """Their own submitted ratings in one study, each with a way to revise it while the
    study takes ratings."""
    try:
        study = study_for_annotator(annotator=annotator, study_public_id=study_id)
    except NotFound:
        raise Http404(_("No such study.")) from None
    return render(
        request,
        "annotation/my_ratings.html",
        {"mine": my_ratings(annotator=annotator, study=study), "scales": SCALES},
    )


def _item_page(
    request: HttpRequest,
    annotator: Annotator,
    item_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict | None = None,
    status: int = 200,
    revising: bool = False,
) -> HttpResponse:
    try:
        view = item_view(annotator=annotator, item_public_id=item_id)
    except NotFound:
        raise Http404(_("No such item.")) from None
    if view.is_pairwise:
        return pair_page(request, annotator, view)
    study = Study.objects.get(public_id=view.study_public_id)
    if revising and (view.rating is None or not study.takes_ratings):
        # Nothing to revise (not submitted), or the study takes no more ratings.
        return redirect("annotation:item", item_id=item_id)
    chosen = values if values is not None else (view.rating if revising else view.draft) or {}
    scales = [
        {
            "scale": scale,
            "chosen": str(chosen.get(scale.key, "")),
            "error": (errors or {}).get(scale.key, ""),
        }
        for scale in SCALES
    ]
    return render(
        request,
        "annotation/item.html",
        {
            "item": view,
            "scales": scales,
            "comment": chosen.get("comment", ""),
            "errors": errors or {},
            # A fresh id per rendering of the form: a double click or a resent POST of
            # this form carries the same id and is stored once. A damaged one is replaced,
            # so that the next submit can be stored.
            "submission_id": (
                None if "submission_id" in (errors or {}) else (values or {}).get("submission_id")
            )
            or uuid.uuid4(),
            "form_error": (
                _(
                    "This form arrived damaged (its submission id is not one the page made), "
                    "so nothing was stored. Check your scores and submit again."
                )
                if "submission_id" in (errors or {})
                else ""
            ),
            "independence_zh": INDEPENDENCE_NOTE_ZH,
            "independence_en": INDEPENDENCE_NOTE_EN,
            "open_for_rating": revising
            or (
                view.status in (Assignment.Status.LEASED, Assignment.Status.EXPIRED)
                and view.study_status != "closed"
            ),
            "revising": revising,
            "revisable": view.rating is not None and study.takes_ratings,
            "has_instructions": bool(study.instructions.strip()),
            "progress": study_progress_for(annotator=annotator, study=study),
        },
        status=status,
    )


def _posted_rating(request: HttpRequest) -> dict[str, Any]:
    return posted_form(request, SCALE_KEYS)


def _rating_fields(values: dict[str, Any]) -> dict[str, Any]:
    """A posted form's values as a submit's or a revision's arguments."""
    return {
        "scores": {key: values[key] for key in SCALE_KEYS},
        "comment": values["comment"],
        "active_seconds": values["active_seconds"],
        "submission_id": values["submission_id"],
    }


@require_http_methods(["GET", "POST"])
@annotator_required
def item(request: HttpRequest, annotator: Annotator, item_id: str) -> HttpResponse:
    if request.method == "GET":
        return _item_page(request, annotator, item_id)
    values = _posted_rating(request)
    try:
        result = rating_submit(
            annotator=annotator, item_public_id=item_id, **_rating_fields(values)
        )
    except RatingInvalid as error:
        return _item_page(
            request, annotator, item_id, errors=error.errors, values=values, status=400
        )
    except AssignmentRefused as error:
        if error.code == "not_found":
            raise Http404(_("No such item.")) from None
        messages.error(request, str(error))
        return _item_page(request, annotator, item_id, values=values, status=409)
    study_id = result.rating.assignment.item.study.public_id
    messages.success(request, _("Rating saved.") if result.created else _("Rating already saved."))
    return redirect("annotation:next", study_id=study_id)


@require_http_methods(["GET", "POST"])
@annotator_required
def item_revise(request: HttpRequest, annotator: Annotator, item_id: str) -> HttpResponse:
    """Their submitted rating, to change while the study takes ratings; the earlier
    version is kept for audit and the revision counts in its place."""
    if request.method == "GET":
        return _item_page(request, annotator, item_id, revising=True)
    values = _posted_rating(request)
    try:
        result = rating_revise(
            annotator=annotator, item_public_id=item_id, **_rating_fields(values)
        )
    except RatingInvalid as error:
        return _item_page(
            request, annotator, item_id, errors=error.errors, values=values, status=400,
            revising=True,
        )  # fmt: skip
    except AssignmentRefused as error:
        if error.code == "not_found":
            raise Http404(_("No such item.")) from None
        messages.error(request, str(error))
        return redirect("annotation:item", item_id=item_id)
    study_id = result.rating.assignment.item.study.public_id
    messages.success(
        request, _("Rating revised.") if result.created else _("Revision already saved.")
    )
    return redirect("annotation:ratings", study_id=study_id)


@require_POST
@annotator_required
def item_skip(request: HttpRequest, annotator: Annotator, item_id: str) -> HttpResponse:
    try:
        assignment = assignment_skip(
            annotator=annotator, item_public_id=item_id, reason=request.POST.get("reason", "")
        )
    except RatingInvalid as error:
        messages.error(
            request, _("Not skipped: %(reason)s") % {"reason": error.errors.get("reason", error)}
        )
        return redirect("annotation:item", item_id=item_id)
    except AssignmentRefused as error:
        if error.code == "not_found":
            raise Http404(_("No such item.")) from None
        messages.error(request, str(error))
        return redirect("annotation:item", item_id=item_id)
    messages.info(request, _("Skipped."))
    return redirect(
        reverse("annotation:next", kwargs={"study_id": assignment.item.study.public_id})
    )
