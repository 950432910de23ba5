"""The portal's page for a pair of a pairwise study: the two answers side by side, on
the sides drawn for this annotator, and the vote (overall, and per scale optionally).

Like the rating page, it reads only the selectors' view of the annotator's own
assignment: nothing on it says which system wrote which side.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotation.access import annotator_required, posted_form
from annotation.models import Annotator, Assignment, Study
from annotation.rubric import (
    INDEPENDENCE_NOTE_EN,
    INDEPENDENCE_NOTE_ZH,
    PAIR_CHOICE_LABELS,
    PAIR_KEYS,
    PAIR_OVERALL,
    PAIR_QUESTION,
    SCALES,
    pair_vote_text,
)
from annotation.selectors import ItemView, NotFound, item_view
from annotation.selectors.my_work import study_progress_for
from annotation.services import AssignmentRefused, RatingInvalid
from annotation.services.votes import vote_submit


def pair_page(
    request: HttpRequest,
    annotator: Annotator,
    view: ItemView,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    chosen = values if values is not None else view.draft or {}
    errors = errors or {}
    overall_zh, overall_en = PAIR_QUESTION
    questions: list[dict[str, Any]] = [
        {"key": PAIR_OVERALL, "zh": overall_zh, "en": overall_en, "required": True},
        *(
            {"key": scale.key, "zh": scale.name_zh, "en": scale.name_en, "required": False}
            for scale in SCALES
        ),
    ]
    for question in questions:
        key = str(question["key"])
        question["chosen"] = str(chosen.get(key) or "")
        question["error"] = errors.get(key, "")
    study = Study.objects.get(public_id=view.study_public_id)
    return render(
        request,
        "annotation/pair.html",
        {
            "item": view,
            "questions": questions,
            "choices": [
                {"value": value, "zh": zh, "en": en}
                for value, (zh, en) in PAIR_CHOICE_LABELS.items()
            ],
            "voted": "" if view.vote is None else pair_vote_text(view.vote),
            "comment": chosen.get("comment", ""),
            "errors": errors,
            # A fresh id per rendering, as on the rating page: a resent form is stored once.
            "submission_id": (
                None if "submission_id" in errors else (values or {}).get("submission_id")
            )
            or uuid.uuid4(),
            "form_error": _(
                "This form arrived damaged (its submission id is not one the page made), "
                "so nothing was stored. Check your scores and submit again."
            )
            if "submission_id" in errors
            else "",
            "independence_zh": INDEPENDENCE_NOTE_ZH,
            "independence_en": INDEPENDENCE_NOTE_EN,
            "open_for_rating": view.status in (Assignment.Status.LEASED, Assignment.Status.EXPIRED)
            and view.study_status != "closed",
            "has_instructions": bool(study.instructions.strip()),
            "progress": study_progress_for(annotator=annotator, study=study),
        },
        status=status,
    )


@require_POST
@annotator_required
def item_vote(request: HttpRequest, annotator: Annotator, item_id: str) -> HttpResponse:
    values = posted_form(request, PAIR_KEYS)

    def again(**options: Any) -> HttpResponse:
        try:
            view = item_view(annotator=annotator, item_public_id=item_id)
        except NotFound:
            raise Http404(_("No such item.")) from None
        return pair_page(request, annotator, view, values=values, **options)

    try:
        result = vote_submit(
            annotator=annotator,
            item_public_id=item_id,
            choices={key: values[key] for key in PAIR_KEYS},
            comment=values["comment"],
            active_seconds=values["active_seconds"],
            submission_id=values["submission_id"],
        )
    except RatingInvalid as error:
        return again(errors=error.errors, status=400)
    except AssignmentRefused as error:
        if error.code == "not_found":
            raise Http404(_("No such item.")) from None
        messages.error(request, str(error))
        return again(status=409)
    messages.success(request, _("Vote saved.") if result.created else _("Vote already saved."))
    return redirect("annotation:next", study_id=result.vote.assignment.item.study.public_id)
